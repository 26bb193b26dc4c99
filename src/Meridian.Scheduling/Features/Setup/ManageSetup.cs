using System.Text.RegularExpressions;
using Meridian.Audit.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.Setup;

public sealed record LocationInput(string Name, string TimeZone, string? Phone = null, int SlotMinutes = 15, string? FhirLocationId = null, bool Active = true);
public sealed record LocationView(Guid Id, string Name, string TimeZone, string? Phone, int SlotMinutes, string? FhirLocationId, bool Active);
public sealed record ProviderInput(string Name, string? Npi = null, string? StaffUserId = null, string? FhirPractitionerId = null, string Color = "#0d6efd", bool Active = true);
public sealed record ProviderView(Guid Id, string Name, string? Npi, string? StaffUserId, string? FhirPractitionerId, string Color, bool Active);
public sealed record ResourceInput(Guid LocationId, string Kind, string Name, bool Active = true);
public sealed record ResourceView(Guid Id, Guid LocationId, string Kind, string Name, bool Active);
public sealed record AppointmentTypeInput(string Name, int DurationMinutes, string Color = "#6c757d", string PatientKind = "any",
    IReadOnlyList<string>? RequiredResourceKinds = null, IReadOnlyList<Guid>? ProviderIds = null, bool Active = true);
public sealed record AppointmentTypeView(Guid Id, string Name, int DurationMinutes, string Color, string PatientKind,
    IReadOnlyList<string> RequiredResourceKinds, IReadOnlyList<Guid> ProviderIds, bool Active);

/// <summary>The practice's scheduling set-up: locations (with their time zone), providers, rooms and equipment, appointment types.</summary>
internal sealed partial class ManageSetupHandler(SchedulingStore store, IAuditTrail audit, TimeProvider time)
{
    private SchedulingDbContext Db => store.Db;

    public async Task<IReadOnlyList<LocationView>> LocationsAsync(CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        return (await Db.Locations.AsNoTracking().OrderBy(l => l.Name).ToListAsync(ct)).Select(View).ToList();
    }

    public async Task<LocationView> SaveLocationAsync(Guid? id, LocationInput input, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        var v = new Validator();
        Name(input.Name, v);
        if (!Zones.IsKnown(input.TimeZone)) v.Add("timeZone", $"'{input.TimeZone}' is not a known IANA time zone (for example America/Chicago).");
        if (input.SlotMinutes is not (5 or 10 or 15 or 20 or 30 or 60)) v.Add("slotMinutes", "Use a 5, 10, 15, 20, 30 or 60 minute grid.");
        if (input.Phone?.Length > 32) v.Add("phone", "At most 32 characters.");
        v.ThrowIfInvalid();
        var l = id is { } existing ? await Db.Locations.FirstOrDefaultAsync(x => x.Id == existing, ct) ?? throw new NotFoundException($"Location {existing} was not found.")
            : Db.Locations.Add(new Location { Id = TypedIds.NewGuid(time) }).Entity;
        (l.Name, l.TimeZone, l.Phone, l.SlotMinutes, l.FhirLocationId, l.Active) = (input.Name.Trim(), input.TimeZone, input.Phone, input.SlotMinutes, input.FhirLocationId, input.Active);
        await SaveAsync(id is null ? AuditAction.Create : AuditAction.Update, "Location", l.Id, ct);
        return View(l);
    }

    public async Task<IReadOnlyList<ProviderView>> ProvidersAsync(CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        return (await Db.Providers.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct)).Select(View).ToList();
    }

    public async Task<ProviderView> SaveProviderAsync(Guid? id, ProviderInput input, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        var v = new Validator();
        Name(input.Name, v);
        if (input.Npi is { } npi && !Meridian.X12.Npi.IsValid(npi)) v.Add("npi", "An NPI is 10 digits with a valid check digit.");
        Color(input.Color, v);
        v.ThrowIfInvalid();
        var p = id is { } existing ? await Db.Providers.FirstOrDefaultAsync(x => x.Id == existing, ct) ?? throw new NotFoundException($"Provider {existing} was not found.")
            : Db.Providers.Add(new Provider { Id = TypedIds.NewGuid(time) }).Entity;
        (p.Name, p.Npi, p.StaffUserId, p.FhirPractitionerId, p.Color, p.Active) = (input.Name.Trim(), input.Npi, input.StaffUserId, input.FhirPractitionerId, input.Color, input.Active);
        await SaveAsync(id is null ? AuditAction.Create : AuditAction.Update, "Provider", p.Id, ct);
        return View(p);
    }

    public async Task<IReadOnlyList<ResourceView>> ResourcesAsync(Guid? locationId, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var q = Db.Resources.AsNoTracking();
        if (locationId is { } l) q = q.Where(r => r.LocationId == l);
        return (await q.OrderBy(r => r.Name).ToListAsync(ct)).Select(View).ToList();
    }

    public async Task<ResourceView> SaveResourceAsync(Guid? id, ResourceInput input, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        var v = new Validator();
        Name(input.Name, v);
        if (input.Kind is not ("room" or "equipment")) v.Add("kind", "A resource is a room or equipment.");
        if (!await Db.Locations.AnyAsync(l => l.Id == input.LocationId, ct)) v.Add("locationId", "No such location.");
        v.ThrowIfInvalid();
        var r = id is { } existing ? await Db.Resources.FirstOrDefaultAsync(x => x.Id == existing, ct) ?? throw new NotFoundException($"Resource {existing} was not found.")
            : Db.Resources.Add(new Resource { Id = TypedIds.NewGuid(time) }).Entity;
        (r.LocationId, r.Kind, r.Name, r.Active) = (input.LocationId, input.Kind, input.Name.Trim(), input.Active);
        await SaveAsync(id is null ? AuditAction.Create : AuditAction.Update, "Resource", r.Id, ct);
        return View(r);
    }

    public async Task<IReadOnlyList<AppointmentTypeView>> TypesAsync(CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        return (await Db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).OrderBy(t => t.Name).ToListAsync(ct)).Select(View).ToList();
    }

    public async Task<AppointmentTypeView> SaveTypeAsync(Guid? id, AppointmentTypeInput input, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        var v = new Validator();
        Name(input.Name, v);
        if (input.DurationMinutes <= 0) v.Add("durationMinutes", "The duration must be at least 5 minutes.");
        else if (input.DurationMinutes > BookingRules.MaxLength.TotalMinutes) v.Add("durationMinutes", $"At most {BookingRules.MaxLength.TotalHours:0} hours.");
        else if (input.DurationMinutes % 5 != 0) v.Add("durationMinutes", "Use a multiple of 5 minutes.");
        Color(input.Color, v);
        if (input.PatientKind is not ("any" or "new" or "established")) v.Add("patientKind", "Use any, new or established.");
        var kinds = input.RequiredResourceKinds ?? [];
        if (kinds.Any(k => k is not ("room" or "equipment"))) v.Add("requiredResourceKinds", "Resource kinds are room or equipment.");
        // One resource per appointment: the room (or the one device) the visit takes. See docs/guides/administrator.md.
        if (kinds.Count > 1) v.Add("requiredResourceKinds", "An appointment type can require one resource kind.");
        var providerIds = (input.ProviderIds ?? []).Distinct().ToList();
        if (providerIds.Count > 0 && await Db.Providers.CountAsync(p => providerIds.Contains(p.Id), ct) != providerIds.Count)
            v.Add("providerIds", "One or more providers do not exist.");
        v.ThrowIfInvalid();
        var t = id is { } existing
            ? await Db.AppointmentTypes.Include(x => x.Providers).FirstOrDefaultAsync(x => x.Id == existing, ct) ?? throw new NotFoundException($"Appointment type {existing} was not found.")
            : Db.AppointmentTypes.Add(new AppointmentType { Id = TypedIds.NewGuid(time) }).Entity;
        (t.Name, t.DurationMinutes, t.Color, t.PatientKind, t.RequiredResourceKinds, t.Active) =
            (input.Name.Trim(), input.DurationMinutes, input.Color, input.PatientKind, string.Join(',', kinds), input.Active);
        t.Providers.RemoveAll(p => !providerIds.Contains(p.ProviderId));
        foreach (var p in providerIds.Where(p => t.Providers.All(x => x.ProviderId != p)))
            t.Providers.Add(new AppointmentTypeProvider { AppointmentTypeId = t.Id, ProviderId = p });
        await SaveAsync(id is null ? AuditAction.Create : AuditAction.Update, "AppointmentType", t.Id, ct);
        return View(t);
    }

    private async Task SaveAsync(AuditAction action, string type, Guid id, CancellationToken ct)
    {
        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        await Db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(action, type, id.ToString()), Microsoft.EntityFrameworkCore.Storage.DbContextTransactionExtensions.GetDbTransaction(tx), ct);
        await tx.CommitAsync(ct);
    }

    private static void Name(string? name, Validator v)
    {
        if (string.IsNullOrWhiteSpace(name)) v.Add("name", "A name is required.");
        else if (name.Length > Limits.Name) v.Add("name", $"At most {Limits.Name} characters.");
    }

    private static void Color(string? color, Validator v)
    {
        if (color is null || !ColorPattern().IsMatch(color)) v.Add("color", "Use a colour like #1a73e8.");
    }

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorPattern();

    internal static LocationView View(Location l) => new(l.Id, l.Name, l.TimeZone, l.Phone, l.SlotMinutes, l.FhirLocationId, l.Active);
    internal static ProviderView View(Provider p) => new(p.Id, p.Name, p.Npi, p.StaffUserId, p.FhirPractitionerId, p.Color, p.Active);
    internal static ResourceView View(Resource r) => new(r.Id, r.LocationId, r.Kind, r.Name, r.Active);
    internal static AppointmentTypeView View(AppointmentType t) => new(t.Id, t.Name, t.DurationMinutes, t.Color, t.PatientKind, t.RequiredKinds(),
        t.Providers.Select(p => p.ProviderId).ToList(), t.Active);

    internal static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/scheduling");
        g.MapGet("/locations", async (ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.LocationsAsync(ct)))
            .RequireAuthorization(Permissions.ScheduleRead).WithMetadata(new AuditedAttribute(AuditAction.Search, "Location"));
        g.MapPost("/locations", async (LocationInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveLocationAsync(null, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Create, "Location"));
        g.MapPut("/locations/{id:guid}", async (Guid id, LocationInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveLocationAsync(id, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Update, "Location"));
        g.MapGet("/providers", async (ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.ProvidersAsync(ct)))
            .RequireAuthorization(Permissions.ScheduleRead).WithMetadata(new AuditedAttribute(AuditAction.Search, "Provider"));
        g.MapPost("/providers", async (ProviderInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveProviderAsync(null, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Create, "Provider"));
        g.MapPut("/providers/{id:guid}", async (Guid id, ProviderInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveProviderAsync(id, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Update, "Provider"));
        g.MapGet("/resources", async (Guid? locationId, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.ResourcesAsync(locationId, ct)))
            .RequireAuthorization(Permissions.ScheduleRead).WithMetadata(new AuditedAttribute(AuditAction.Search, "Resource"));
        g.MapPost("/resources", async (ResourceInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveResourceAsync(null, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Create, "Resource"));
        g.MapPut("/resources/{id:guid}", async (Guid id, ResourceInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveResourceAsync(id, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Update, "Resource"));
        g.MapGet("/appointment-types", async (ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.TypesAsync(ct)))
            .RequireAuthorization(Permissions.ScheduleRead).WithMetadata(new AuditedAttribute(AuditAction.Search, "AppointmentType"));
        g.MapPost("/appointment-types", async (AppointmentTypeInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveTypeAsync(null, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Create, "AppointmentType"));
        g.MapPut("/appointment-types/{id:guid}", async (Guid id, AppointmentTypeInput input, ManageSetupHandler h, CancellationToken ct) => Results.Ok(await h.SaveTypeAsync(id, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Update, "AppointmentType"));
    }
}
