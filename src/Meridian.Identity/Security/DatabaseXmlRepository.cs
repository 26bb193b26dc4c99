using System.Xml.Linq;
using Meridian.Identity.Data;
using Meridian.Identity.Domain;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Security;

/// <summary>
/// Keeps Data Protection keys in the identity schema so that sign-in cookies survive restarts and are valid on every host
/// sharing the database. (The EF Core key-store package is not available here; this is the same idea in a few lines.)
/// </summary>
internal sealed class DatabaseXmlRepository(IServiceScopeFactory scopes) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<MeridianIdentityDbContext>();
        return db.DataProtectionKeys.Select(k => k.Xml).ToList().Select(x => XElement.Parse(x)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<MeridianIdentityDbContext>();
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}
