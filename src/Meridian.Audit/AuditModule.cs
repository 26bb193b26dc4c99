using Meridian.Audit.Contracts;
using Meridian.Audit.Data;
using Meridian.Audit.Features;
using Meridian.SharedKernel.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Audit;

public static class AuditModule
{
    public static IServiceCollection AddAuditModule(this IServiceCollection services)
    {
        services.AddDbContext<AuditDbContext>((sp, o) => o.UseMeridianDatabase(sp.GetRequiredService<DatabaseOptions>()));
        services.AddSingleton<AuditSealer>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditSealer>());
        services.AddSingleton<AuditAppender>();
        services.AddSingleton<AuditWriteQueue>();
        services.AddScoped<IAuditTrail, AuditTrail>();
        services.AddScoped<SearchAuditTrail>();
        services.AddScoped<IAuditReader>(sp => sp.GetRequiredService<SearchAuditTrail>());
        services.AddScoped(sp => new VerifyAuditChain(sp.GetRequiredService<AuditDbContext>(), sp.GetRequiredService<AuditSealer>()));
        services.AddSingleton(new ModuleMigrations(AuditDbContext.Schema, typeof(AuditModule).Assembly, Order: 10));
        return services;
    }

    public static IEndpointRouteBuilder MapAuditModule(this IEndpointRouteBuilder app)
    {
        SearchAuditTrail.Map(app);
        VerifyAuditChain.Map(app);
        return app;
    }
}
