using System.Globalization;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.Fhir;

/// <summary>
/// FHIR Schedule: one provider's availability at one location, for every provider+location pair that has an
/// availability template. Actor = the Practitioner and the Location; serviceType = the appointment types the provider
/// offers; planningHorizon = the templates' effective dates, capped at the two-year booking horizon. Read-only here:
/// availability is edited through the templates (schedule.admin).
/// </summary>
internal sealed class ScheduleFhirProvider(SchedulingStore store, IAuditTrail audit) : IFhirResourceProvider
{
    public static readonly FhirProvidedType Type = new("Schedule", Permissions.ScheduleRead, Permissions.ScheduleAdmin, Create: false, Update: false,
    [
        new("_id", "token", "Logical id of the Schedule (provider and location)"),
        new("actor", "reference", "Schedule.actor: Practitioner/{id} or Location/{id} (FHIR directory id or Meridian id)"),
        new("active", "token", "Schedule.active"),
    ]);

    public async Task<FhirResource?> ReadAsync(string id, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleRead);
        if (FhirIds.ParseSchedule(id) is not { } pair) return null;
        var found = await SchedulesAsync([pair], ct);
        if (found.Count == 0) return null;
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Schedule", id), ct);
        return found[0];
    }

    public async Task<FhirSearchPage> SearchAsync(FhirSearchRequest request, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleRead);
        var db = store.Db;
        var pairs = (await db.Templates.AsNoTracking().Select(t => new { t.ProviderId, t.LocationId }).Distinct().ToListAsync(ct))
            .Select(p => (p.ProviderId, p.LocationId)).ToList();
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, ct);
        var locations = await db.Locations.AsNoTracking().ToDictionaryAsync(l => l.Id, ct);
        var applied = new List<KeyValuePair<string, string>>();
        bool? active = null;
        foreach (var (key, value) in request.Parameters)
        {
            var values = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
            switch (key)
            {
                case "_id":
                    pairs = pairs.Where(p => values.Contains(FhirIds.Schedule(p.ProviderId, p.LocationId))).ToList();
                    break;
                case "actor":
                    pairs = pairs.Where(p => values.Any(v => Is(providers[p.ProviderId], v) || (locations.TryGetValue(p.LocationId, out var l) && Is(l, v)))).ToList();
                    break;
                case "active":
                    active = values.Length == 1 && values[0] is "true" or "false" ? values[0] == "true"
                        : throw FhirScheduling.BadRequest($"active={value}: use true or false.");
                    break;
                default:
                    if (request.Strict) throw FhirScheduling.BadRequest($"Search parameter '{key}' is not supported for Schedule.", "not-supported");
                    continue;
            }
            applied.Add(new(key, value));
        }
        var all = await SchedulesAsync(pairs, ct, active);
        var page = all.Skip(request.Offset).Take(request.Count).ToList();
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "Schedule", Detail: Detail(applied, all.Count)), ct);
        return new FhirSearchPage(page, all.Count, applied, []);
    }

    public Task<FhirResource> CreateAsync(System.Text.Json.JsonElement resource, CancellationToken ct) => throw NotWritable();
    public Task<FhirResource> UpdateAsync(string id, System.Text.Json.JsonElement resource, int? expectedVersion, CancellationToken ct) => throw NotWritable();

    private static FhirOperationException NotWritable() =>
        new(405, "not-supported", "Schedules are derived from availability templates; change those in Meridian's scheduling set-up.");

    internal static bool Is(Provider p, string reference) =>
        FhirScheduling.RefId(reference, "Practitioner") is { } id && (id == p.FhirPractitionerId || id == p.Id.ToString());

    internal static bool Is(Location l, string reference) =>
        FhirScheduling.RefId(reference, "Location") is { } id && (id == l.FhirLocationId || id == l.Id.ToString());

    internal static string Detail(List<KeyValuePair<string, string>> applied, int total) =>
        string.Join("&", applied.Select(a => $"{a.Key}={a.Value}")) + $" ({total} match(es))";

    /// <summary>Renders the Schedules of the pairs that have templates, in a stable order (provider name, location name).</summary>
    private async Task<List<FhirResource>> SchedulesAsync(IReadOnlyCollection<(Guid Provider, Guid Location)> pairs, CancellationToken ct, bool? active = null)
    {
        if (pairs.Count == 0) return [];
        var db = store.Db;
        var providerIds = pairs.Select(p => p.Provider).Distinct().ToList();
        var locationIds = pairs.Select(p => p.Location).Distinct().ToList();
        var templates = await db.Templates.AsNoTracking().Where(t => providerIds.Contains(t.ProviderId) && locationIds.Contains(t.LocationId)).ToListAsync(ct);
        var providers = await db.Providers.AsNoTracking().Where(p => providerIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var locations = await db.Locations.AsNoTracking().Where(l => locationIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct);
        var types = await db.AppointmentTypes.AsNoTracking().Include(t => t.Providers).Where(t => t.Active).OrderBy(t => t.Name).ToListAsync(ct);
        var today = DateOnly.FromDateTime(store.UtcNow);
        var result = new List<(string Sort, FhirResource Resource)>();
        foreach (var (pid, lid) in pairs)
        {
            var mine = templates.Where(t => t.ProviderId == pid && t.LocationId == lid).ToList();
            if (mine.Count == 0 || !providers.TryGetValue(pid, out var provider) || !locations.TryGetValue(lid, out var location)) continue;
            var isActive = provider.Active && location.Active;
            if (active is { } wanted && wanted != isActive) continue;
            var offered = types.Where(t => t.Providers.Count == 0 || t.Providers.Any(x => x.ProviderId == pid)).ToList();
            var from = mine.Min(t => t.EffectiveFrom);
            if (from < today) from = today;
            var horizon = today.AddYears(2);
            var to = mine.All(t => t.EffectiveTo is not null) ? mine.Max(t => t.EffectiveTo!.Value) : horizon;
            if (to > horizon) to = horizon;
            // Each template edit bumps its version; the sum changes whenever any of the pair's templates does.
            var version = mine.Sum(t => t.Version) + mine.Count;
            var id = FhirIds.Schedule(pid, lid);
            var json = FhirScheduling.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("resourceType", "Schedule");
                w.WriteString("id", id);
                w.WriteStartObject("meta");
                w.WriteString("versionId", version.ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
                w.WriteBoolean("active", isActive);
                if (offered.Count > 0)
                {
                    w.WriteStartArray("serviceType");
                    foreach (var t in offered) FhirScheduling.TypeConcept(w, t);
                    w.WriteEndArray();
                }
                w.WriteStartArray("actor");
                FhirScheduling.Actor(w, FhirScheduling.PractitionerRef(provider), provider.Name);
                FhirScheduling.Actor(w, FhirScheduling.LocationRef(location), location.Name);
                w.WriteEndArray();
                w.WriteStartObject("planningHorizon");
                w.WriteString("start", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                if (to >= from) w.WriteString("end", to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteEndObject();
                w.WriteString("comment", $"{provider.Name} at {location.Name} ({location.TimeZone}); slots every {location.SlotMinutes} minutes unless a service-type is searched.");
                w.WriteEndObject();
            });
            result.Add(($"{provider.Name}\u0001{location.Name}\u0001{id}", new FhirResource(id, version, null, json)));
        }
        return result.OrderBy(r => r.Sort, StringComparer.Ordinal).Select(r => r.Resource).ToList();
    }
}
