using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Features.Waitlist;

/// <summary>
/// Put a patient on the waitlist. Weekdays are names (Monday…); WindowStart/WindowEnd are local wall-clock times at the
/// location of the opening ("08:00"–"12:00"); no providers = any provider who offers the type.
/// </summary>
public sealed record AddWaitlistEntryRequest(
    Guid PatientId,
    Guid AppointmentTypeId,
    IReadOnlyList<Guid>? ProviderIds = null,
    IReadOnlyList<DayOfWeek>? Weekdays = null,
    TimeOnly? WindowStart = null,
    TimeOnly? WindowEnd = null,
    DateOnly? EarliestDate = null,
    DateOnly? LatestDate = null,
    int Priority = 2,
    string Channel = "sms",
    string? Note = null);

public sealed record WaitlistOfferView(Guid Id, Guid EntryId, Guid PatientId, string? PatientName, string State, string Channel,
    DateTimeOffset Start, DateTimeOffset End, string ProviderName, string LocationName, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    DateTimeOffset? RespondedAt, Guid? AppointmentId, string? Detail);

public sealed record WaitlistEntryView(Guid Id, Guid PatientId, string? PatientName, string? PatientMrn, Guid AppointmentTypeId, string AppointmentType,
    IReadOnlyList<Guid> ProviderIds, IReadOnlyList<string> ProviderNames, IReadOnlyList<DayOfWeek> Weekdays, TimeOnly? WindowStart, TimeOnly? WindowEnd,
    DateOnly EarliestDate, DateOnly? LatestDate, int Priority, string Channel, string State, string? Note, string? CreatedBy, DateTimeOffset CreatedAt,
    Guid? BookedAppointmentId, IReadOnlyList<WaitlistOfferView> Offers);

internal sealed class ManageWaitlistHandler(SchedulingStore store, IPatientDirectory patients, IAuditTrail audit, WaitlistSignal signal, TimeProvider time)
{
    public const int MaxList = 500;

    public async Task<WaitlistEntryView> AddAsync(AddWaitlistEntryRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        var db = store.Db;
        var v = new Validator();
        var type = await db.AppointmentTypes.AsNoTracking().FirstOrDefaultAsync(t => t.Id == r.AppointmentTypeId, ct);
        if (type is not { Active: true }) v.Add("appointmentTypeId", "Choose an active appointment type.");
        var providerIds = (r.ProviderIds ?? []).Distinct().ToList();
        if (providerIds.Count > 20) v.Add("providerIds", "Choose at most 20 providers (or none for any provider).");
        else if (providerIds.Count > 0)
        {
            var known = await db.Providers.AsNoTracking().Where(p => providerIds.Contains(p.Id) && p.Active).Select(p => p.Id).ToListAsync(ct);
            if (known.Count != providerIds.Count) v.Add("providerIds", "Choose active providers.");
        }
        var days = (r.Weekdays ?? []).Distinct().ToList();
        if (days.Any(d => !Enum.IsDefined(d))) v.Add("weekdays", "Use weekday names (Monday … Sunday).");
        if ((r.WindowStart is null) != (r.WindowEnd is null)) v.Add("windowEnd", "Give both ends of the time window, or neither.");
        else if (r.WindowStart >= r.WindowEnd) v.Add("windowEnd", "The time window ends before it starts.");
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var earliest = r.EarliestDate ?? today;
        if (earliest < today.AddDays(-1)) v.Add("earliestDate", "The earliest date is in the past.");
        if (r.LatestDate is { } latest && latest < earliest) v.Add("latestDate", "The latest date is before the earliest date.");
        if (r.Priority is < 1 or > 3) v.Add("priority", "Use 1 (high), 2 (normal) or 3 (low).");
        if (r.Channel is not ("sms" or "email")) v.Add("channel", "Use sms or email.");
        if (r.Note?.Length > Limits.Note) v.Add("note", $"At most {Limits.Note} characters.");
        var patient = await patients.FindAsync(new PatientId(r.PatientId), ct);
        if (patient is null) v.Add("patientId", "No such patient.");
        else if (patient.MergedInto is not null || !patient.Active || patient.Details.DeceasedDate is not null) v.Add("patientId", "This patient's record is inactive.");
        else if (await db.WaitlistEntries.AnyAsync(e => e.PatientId == r.PatientId && e.AppointmentTypeId == r.AppointmentTypeId
                     && (e.State == WaitlistStates.Waiting || e.State == WaitlistStates.Offered), ct))
            v.Add("patientId", "This patient is already waiting for this appointment type; change or remove that entry instead.");
        v.ThrowIfInvalid();

        var now = store.UtcNow;
        var entry = new WaitlistEntry
        {
            Id = TypedIds.NewGuid(time), PatientId = r.PatientId, AppointmentTypeId = r.AppointmentTypeId,
            PreferredProviderIds = string.Join(',', providerIds), PreferredWeekdays = string.Join(',', days.Select(d => d == DayOfWeek.Sunday ? 7 : (int)d).Order()),
            WindowStart = r.WindowStart, WindowEnd = r.WindowEnd, EarliestDate = earliest, LatestDate = r.LatestDate, Priority = r.Priority,
            Channel = r.Channel, Note = string.IsNullOrWhiteSpace(r.Note) ? null : r.Note.Trim(), CreatedBy = store.Actor.UserName, CreatedAt = now, UpdatedAt = now,
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.WaitlistEntries.Add(entry);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Create, "WaitlistEntry", entry.Id.ToString(), entry.PatientId.ToString(),
            Detail: $"waitlist for {type!.Name}, priority {entry.Priority}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        // Time already open may suit the new entry.
        signal.Nudge();
        return (await ViewsAsync([entry], ct))[0];
    }

    public async Task<IReadOnlyList<WaitlistEntryView>> ListAsync(string? state, Guid? appointmentTypeId, Guid? providerId, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        if (state is not null && !WaitlistStates.All.Contains(state)) throw ValidationFailedException.For("state", $"Use one of {string.Join(", ", WaitlistStates.All)}.");
        var q = store.Db.WaitlistEntries.AsNoTracking();
        q = state is null ? q.Where(e => e.State != WaitlistStates.Removed) : q.Where(e => e.State == state);
        if (appointmentTypeId is { } t) q = q.Where(e => e.AppointmentTypeId == t);
        if (providerId is { } p)
        {
            var text = p.ToString();
            q = q.Where(e => e.PreferredProviderIds == "" || e.PreferredProviderIds.Contains(text));
        }
        var entries = await q.OrderBy(e => e.Priority).ThenBy(e => e.CreatedAt).Take(MaxList).ToListAsync(ct);
        var views = await ViewsAsync(entries, ct);
        await audit.RecordManyAsync(entries.Select(e => e.PatientId).Distinct()
            .Select(pid => new AuditEntry(AuditAction.Search, "WaitlistEntry", null, pid.ToString(), Detail: "waitlist")).DefaultIfEmpty(
                new AuditEntry(AuditAction.Search, "WaitlistEntry", Detail: "waitlist (no entries)")).ToList(), null, ct);
        return views;
    }

    public async Task<WaitlistEntryView> RemoveAsync(Guid id, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var entry = await db.WaitlistEntries.FirstOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException($"Waitlist entry {id} was not found.");
        if (entry.State is WaitlistStates.Booked or WaitlistStates.Removed) throw new ConflictException($"This entry is already {entry.State}.");
        entry.State = WaitlistStates.Removed;
        entry.UpdatedAt = store.UtcNow;
        // An offer out to a patient who left the list is withdrawn: its link then says the time is gone.
        foreach (var o in await db.Offers.Where(o => o.EntryId == id && o.State == OfferStates.Pending).ToListAsync(ct))
        {
            o.State = OfferStates.Superseded;
            o.RespondedAt = store.UtcNow;
            o.Detail = "Withdrawn: the patient was taken off the waitlist";
        }
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Delete, "WaitlistEntry", id.ToString(), entry.PatientId.ToString(), Detail: "removed from the waitlist"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        signal.Nudge();
        return (await ViewsAsync([entry], ct))[0];
    }

    public async Task<IReadOnlyList<WaitlistOfferView>> OffersAsync(string? state, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var q = store.Db.Offers.AsNoTracking();
        if (state is not null) q = q.Where(o => o.State == state);
        var rows = await q.OrderByDescending(o => o.CreatedAt).Take(MaxList).ToListAsync(ct);
        var views = await OfferViewsAsync(rows, ct);
        await audit.RecordManyAsync(rows.Select(o => o.PatientId).Distinct()
            .Select(pid => new AuditEntry(AuditAction.Search, "WaitlistOffer", null, pid.ToString(), Detail: "waitlist offers")).DefaultIfEmpty(
                new AuditEntry(AuditAction.Search, "WaitlistOffer", Detail: "waitlist offers (none)")).ToList(), null, ct);
        return views;
    }

    private async Task<List<WaitlistOfferView>> OfferViewsAsync(List<WaitlistOffer> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return [];
        var db = store.Db;
        var openingIds = rows.Select(o => o.OpeningId).Distinct().ToList();
        var openings = await db.Openings.AsNoTracking().Where(o => openingIds.Contains(o.Id)).ToDictionaryAsync(o => o.Id, ct);
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var locations = await db.Locations.AsNoTracking().ToDictionaryAsync(l => l.Id, ct);
        var people = (await patients.FindManyAsync(rows.Select(o => new PatientId(o.PatientId)).Distinct().ToList(), ct)).ToDictionary(p => p.Id.Value);
        return rows.Select(o =>
        {
            var opening = openings[o.OpeningId];
            var location = locations[opening.LocationId];
            var zone = Zones.Get(location.TimeZone);
            return new WaitlistOfferView(o.Id, o.EntryId, o.PatientId, people.TryGetValue(o.PatientId, out var p) ? p.Details.LegalName.Display : null,
                o.State, o.Channel, Zones.ToLocal(o.StartUtc, zone), Zones.ToLocal(o.EndUtc, zone), providers[opening.ProviderId], location.Name,
                Zones.ToLocal(o.CreatedAt, zone), Zones.ToLocal(o.ExpiresAt, zone), o.RespondedAt is { } r ? Zones.ToLocal(r, zone) : null, o.AppointmentId, o.Detail);
        }).ToList();
    }

    private async Task<List<WaitlistEntryView>> ViewsAsync(List<WaitlistEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return [];
        var db = store.Db;
        var ids = entries.Select(e => e.Id).ToList();
        var offers = await OfferViewsAsync(await db.Offers.AsNoTracking().Where(o => ids.Contains(o.EntryId)).OrderByDescending(o => o.CreatedAt).ToListAsync(ct), ct);
        var types = await db.AppointmentTypes.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        var people = (await patients.FindManyAsync(entries.Select(e => new PatientId(e.PatientId)).Distinct().ToList(), ct)).ToDictionary(p => p.Id.Value);
        return entries.Select(e =>
        {
            people.TryGetValue(e.PatientId, out var p);
            var provs = e.Providers();
            return new WaitlistEntryView(e.Id, e.PatientId, p?.Details.LegalName.Display, p?.Mrn, e.AppointmentTypeId, types[e.AppointmentTypeId],
                provs, provs.Select(x => providers.TryGetValue(x, out var n) ? n : "?").ToList(), e.Weekdays(), e.WindowStart, e.WindowEnd,
                e.EarliestDate, e.LatestDate, e.Priority, e.Channel, e.State, e.Note, e.CreatedBy, new DateTimeOffset(e.CreatedAt), e.BookedAppointmentId,
                offers.Where(o => o.EntryId == e.Id).ToList());
        }).ToList();
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/scheduling/waitlist", async (AddWaitlistEntryRequest request, ManageWaitlistHandler h, CancellationToken ct) =>
            {
                var view = await h.AddAsync(request, ct);
                return Results.Created($"/api/scheduling/waitlist/{view.Id}", view);
            })
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Create, "WaitlistEntry"));
        app.MapGet("/api/scheduling/waitlist", async (string? state, Guid? appointmentTypeId, Guid? providerId, ManageWaitlistHandler h, CancellationToken ct) =>
                Results.Ok(await h.ListAsync(state, appointmentTypeId, providerId, ct)))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "WaitlistEntry"));
        app.MapDelete("/api/scheduling/waitlist/{id:guid}", async (Guid id, ManageWaitlistHandler h, CancellationToken ct) =>
                Results.Ok(await h.RemoveAsync(id, ct)))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Delete, "WaitlistEntry"));
        app.MapGet("/api/scheduling/waitlist/offers", async (string? state, ManageWaitlistHandler h, CancellationToken ct) =>
                Results.Ok(await h.OffersAsync(state, ct)))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "WaitlistOffer"));
    }
}
