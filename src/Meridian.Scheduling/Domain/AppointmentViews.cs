using Meridian.Patients.Contracts;
using Meridian.Scheduling.Data;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Domain;

/// <summary>An appointment as the API and screens show it: times in the location's zone (with their UTC offset).</summary>
public sealed record AppointmentView(
    Guid Id,
    Guid PatientId,
    string? PatientName,
    string? PatientMrn,
    DateOnly? PatientBirthDate,
    Guid ProviderId,
    string ProviderName,
    Guid LocationId,
    string LocationName,
    string TimeZone,
    Guid AppointmentTypeId,
    string AppointmentType,
    string Color,
    DateTimeOffset Start,
    DateTimeOffset End,
    int DurationMinutes,
    string Status,
    DateTimeOffset StatusSince,
    Guid? ResourceId,
    string? ResourceName,
    Guid? RoomId,
    string? RoomName,
    Guid? SeriesId,
    int? SeriesIndex,
    string? VisitReason,
    string? Note,
    string? CancelReason,
    bool ConflictOverride,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? ArrivedAt,
    decimal? CopayCollected,
    int Version,
    Features.Eligibility.EligibilityView? Eligibility = null);

internal sealed class AppointmentViews(SchedulingDbContext db, IPatientDirectory patients)
{
    public async Task<AppointmentView> OneAsync(Appointment a, CancellationToken ct) => (await ManyAsync([a], ct))[0];

    public async Task<List<AppointmentView>> ManyAsync(IReadOnlyList<Appointment> list, CancellationToken ct)
    {
        if (list.Count == 0) return [];
        var ids = list.Select(a => a.Id).ToList();
        var providerIds = list.Select(a => a.ProviderId).Distinct().ToList();
        var locationIds = list.Select(a => a.LocationId).Distinct().ToList();
        var typeIds = list.Select(a => a.AppointmentTypeId).Distinct().ToList();
        var resourceIds = list.SelectMany(a => new[] { a.ResourceId, a.RoomId }).OfType<Guid>().Distinct().ToList();
        var providers = await db.Providers.AsNoTracking().Where(p => providerIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var locations = await db.Locations.AsNoTracking().Where(l => locationIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct);
        var types = await db.AppointmentTypes.AsNoTracking().Where(t => typeIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, ct);
        var resources = resourceIds.Count == 0 ? [] : await db.Resources.AsNoTracking().Where(r => resourceIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        var checks = (await db.EligibilityChecks.AsNoTracking().Where(c => c.AppointmentId != null && ids.Contains(c.AppointmentId.Value) && c.Status != "Pending")
            .ToListAsync(ct)).GroupBy(c => c.AppointmentId!.Value).ToDictionary(g => g.Key, g => g.MaxBy(c => c.Id)!);
        var people = (await patients.FindManyAsync(list.Select(a => new PatientId(a.PatientId)).Distinct().ToList(), ct)).ToDictionary(p => p.Id.Value);
        return Build(list, providers, locations, types, resources, checks, people);
    }

    /// <summary>
    /// Views of appointments just booked, from the rows the booking already loaded: no second round of lookups on the
    /// booking hot path (a new appointment has no eligibility check yet).
    /// </summary>
    public static List<AppointmentView> ForNew(IReadOnlyList<Appointment> booked, Provider provider, Location location, AppointmentType type,
        IEnumerable<Resource> resources, PatientSnapshot? patient) =>
        Build(booked, new Dictionary<Guid, Provider> { [provider.Id] = provider }, new Dictionary<Guid, Location> { [location.Id] = location },
            new Dictionary<Guid, AppointmentType> { [type.Id] = type }, resources.DistinctBy(r => r.Id).ToDictionary(r => r.Id), new Dictionary<Guid, EligibilityCheck>(),
            patient is null ? new Dictionary<Guid, PatientSnapshot>() : new Dictionary<Guid, PatientSnapshot> { [patient.Id.Value] = patient });

    private static List<AppointmentView> Build(IReadOnlyList<Appointment> list, IReadOnlyDictionary<Guid, Provider> providers,
        IReadOnlyDictionary<Guid, Location> locations, IReadOnlyDictionary<Guid, AppointmentType> types, IReadOnlyDictionary<Guid, Resource> resources,
        IReadOnlyDictionary<Guid, EligibilityCheck> checks, IReadOnlyDictionary<Guid, PatientSnapshot> people)
    {
        return list.Select(a =>
        {
            var location = locations[a.LocationId];
            var zone = Zones.Get(location.TimeZone);
            var type = types[a.AppointmentTypeId];
            people.TryGetValue(a.PatientId, out var person);
            return new AppointmentView(a.Id, a.PatientId, person?.Details.LegalName.Display, person?.Mrn, person?.Details.BirthDate,
                a.ProviderId, providers[a.ProviderId].Name, a.LocationId, location.Name, location.TimeZone,
                a.AppointmentTypeId, type.Name, type.Color,
                Zones.ToLocal(a.StartUtc, zone), Zones.ToLocal(a.EndUtc, zone), (int)(a.EndUtc - a.StartUtc).TotalMinutes,
                a.Status, Zones.ToLocal(a.StatusChangedAt, zone),
                a.ResourceId, a.ResourceId is { } r && resources.TryGetValue(r, out var res) ? res.Name : null,
                a.RoomId, a.RoomId is { } rm && resources.TryGetValue(rm, out var room) ? room.Name : null,
                a.SeriesId, a.SeriesIndex, a.VisitReason, a.Note, a.CancelReason, a.ConflictOverride,
                a.ConfirmedAt is { } c ? Zones.ToLocal(c, zone) : null, a.ArrivedAt is { } ar ? Zones.ToLocal(ar, zone) : null,
                a.CopayCollected, a.Version,
                checks.TryGetValue(a.Id, out var check) ? Features.Eligibility.CheckEligibilityHandler.View(check) : null);
        }).ToList();
    }
}
