using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Data;

/// <summary>What every scheduling handler needs: the module's data, who is acting, and the appointment history writer.</summary>
internal sealed class SchedulingStore(SchedulingDbContext db, ICurrentActor requestActor, TimeProvider time)
{
    private ICurrentActor actor = requestActor;
    private readonly string? source = requestActor.SourceAddress;

    public SchedulingDbContext Db => db;
    public ICurrentActor Actor => actor;

    /// <summary>
    /// From here on, this scope acts as the system on the patient's behalf. For the patient's own answers to a message
    /// (the offer link, the confirm link, an SMS reply): those requests are anonymous (the link's token is the patient's
    /// authority, checked by the caller before this) or come from a gateway, and must book or cancel deliberately as the
    /// system, never with the permissions of whoever happens to be signed in. The history and audit entries name the route.
    /// </summary>
    public void ActAsSystem(string onBehalfOf) => actor = new SystemActor(onBehalfOf, source);

    private sealed class SystemActor(string onBehalfOf, string? source) : ICurrentActor
    {
        public string? UserId => null;
        public string? UserName => "system";
        public string? Role => "system";
        public string? ClientId => onBehalfOf;
        public string? SourceAddress => source;
        public bool IsAuthenticated => false;
        public bool Has(string permission) => false;
    }
    public DateTime UtcNow => time.GetUtcNow().UtcDateTime;

    public void Require(string permission)
    {
        if (!actor.IsAuthenticated && actor.UserName != "system") throw new ForbiddenException("Sign in to use the schedule.");
        if (actor.IsAuthenticated && !actor.Has(permission)) throw new ForbiddenException($"This action requires the '{permission}' permission.");
    }

    /// <summary>Adds a history row for the appointment (saved with the caller's SaveChanges).</summary>
    public void History(Appointment appointment, string action, string? detail = null) =>
        db.Events.Add(new AppointmentEvent
        {
            AppointmentId = appointment.Id, At = UtcNow, Action = action, UserId = actor.UserId, UserName = actor.UserName, Detail = detail,
        });

    public async Task<Location> LocationAsync(Guid id, CancellationToken ct) =>
        await db.Locations.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct) ?? throw new NotFoundException($"Location {id} was not found.");

    public async Task<Provider> ProviderAsync(Guid id, CancellationToken ct) =>
        await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw new NotFoundException($"Provider {id} was not found.");

    public async Task<AppointmentType> TypeAsync(Guid id, CancellationToken ct) =>
        await db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).FirstOrDefaultAsync(t => t.Id == id, ct)
        ?? throw new NotFoundException($"Appointment type {id} was not found.");

    /// <summary>
    /// The appointment a change is about, tracked, inside the caller's transaction: 404 when it does not exist, 412 when the
    /// screen's version is stale (null = no check).
    /// </summary>
    public async Task<Appointment> AppointmentForChangeAsync(Guid id, int? expectedVersion, CancellationToken ct)
    {
        var a = await db.Appointments.FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException($"Appointment {id} was not found.");
        if (expectedVersion is { } ev && ev != a.Version) throw Stale();
        return a;
    }

    /// <summary>Marks a change: the version that optimistic concurrency and FHIR meta.versionId read, and the time.</summary>
    public void Touch(Appointment a)
    {
        a.Version++;
        a.UpdatedAt = UtcNow;
    }

    /// <summary>Saves; a row changed by someone else since it was read (version token) becomes the 412 the screen explains.</summary>
    public async Task SaveAsync(CancellationToken ct)
    {
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateConcurrencyException) { throw Stale(); }
    }

    /// <summary>
    /// A visit in the words the patient pages and replies use ("Tuesday 3 March at 9:00 AM", "with Dr. X at Y"), with the
    /// location's zone for any other time on the same page.
    /// </summary>
    public async Task<(string When, string Where, NodaTime.DateTimeZone Zone)> DescribeVisitAsync(Guid providerId, Guid locationId, DateTime startUtc, CancellationToken ct)
    {
        var location = await db.Locations.AsNoTracking().FirstAsync(l => l.Id == locationId, ct);
        var provider = await db.Providers.AsNoTracking().FirstAsync(p => p.Id == providerId, ct);
        var zone = Zones.Get(location.TimeZone);
        var local = Zones.ToLocal(startUtc, zone);
        return ($"{local:dddd d MMMM} at {local:h:mm tt}", $"with {provider.Name} at {location.Name}", zone);
    }

    public static PreconditionFailedException Stale() =>
        new("This appointment was changed by someone else since you opened it. Reload it and try again.");
}
