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
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Features.Setup;

/// <summary>One weekday interval in the location's wall-clock time ("Monday 09:00–12:00 open", "Monday 12:00–13:00 blocked: lunch").</summary>
public sealed record RuleInput(DayOfWeek Weekday, TimeOnly Start, TimeOnly End, string Kind = "open", string? Label = null);
public sealed record TemplateInput(Guid ProviderId, Guid LocationId, string Name, DateOnly EffectiveFrom, DateOnly? EffectiveTo,
    IReadOnlyList<RuleInput> Rules, int? ExpectedVersion = null);
public sealed record TemplateView(Guid Id, Guid ProviderId, Guid LocationId, string Name, DateOnly EffectiveFrom, DateOnly? EffectiveTo,
    IReadOnlyList<RuleInput> Rules, int Version);

/// <summary>
/// A closure or block (a holiday for the whole location when ProviderId is empty; a meeting for one provider) or extra
/// open hours. Given either as instants (Start/End with offset) or as a local date range for whole days.
/// </summary>
public sealed record ExceptionInput(Guid? ProviderId, Guid? LocationId, string Kind, string Reason,
    DateTimeOffset? Start = null, DateTimeOffset? End = null, DateOnly? FromDate = null, DateOnly? ToDate = null);
public sealed record ExceptionView(Guid Id, Guid? ProviderId, Guid? LocationId, string Kind, string Reason, DateTimeOffset Start, DateTimeOffset End);

internal sealed class ManageTemplatesHandler(SchedulingStore store, IAuditTrail audit, TimeProvider time)
{
    private SchedulingDbContext Db => store.Db;

    public async Task<IReadOnlyList<TemplateView>> ListAsync(Guid? providerId, Guid? locationId, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var q = Db.Templates.AsNoTracking().Include(t => t.Rules).AsQueryable();
        if (providerId is { } p) q = q.Where(t => t.ProviderId == p);
        if (locationId is { } l) q = q.Where(t => t.LocationId == l);
        return (await q.OrderBy(t => t.EffectiveFrom).ToListAsync(ct)).Select(View).ToList();
    }

    public async Task<TemplateView> SaveAsync(Guid? id, TemplateInput input, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        var v = new Validator();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Length > Limits.Name) v.Add("name", $"A name of at most {Limits.Name} characters is required.");
        if (!await Db.Providers.AnyAsync(p => p.Id == input.ProviderId, ct)) v.Add("providerId", "No such provider.");
        if (!await Db.Locations.AnyAsync(l => l.Id == input.LocationId, ct)) v.Add("locationId", "No such location.");
        if (input.EffectiveTo is { } to && to < input.EffectiveFrom) v.Add("effectiveTo", "The template ends before it starts.");
        if (input.Rules is null || input.Rules.Count == 0) v.Add("rules", "Give at least one weekly interval.");
        else if (input.Rules.Count > 100) v.Add("rules", "At most 100 intervals.");
        else
            for (var i = 0; i < input.Rules.Count; i++)
            {
                var r = input.Rules[i];
                if (!Enum.IsDefined(r.Weekday)) v.Add($"rules[{i}].weekday", "Not a weekday.");
                if (r.End <= r.Start) v.Add($"rules[{i}].end", $"{r.Weekday} {r.Start:HH\\:mm}–{r.End:HH\\:mm} ends before it starts.");
                if (r.Kind is not ("open" or "blocked")) v.Add($"rules[{i}].kind", "Use open or blocked.");
                if (r.Start.Minute % 5 != 0 || r.End.Minute % 5 != 0 || r.Start.Second != 0 || r.End.Second != 0)
                    v.Add($"rules[{i}].start", "Times are on five-minute marks.");
                if (r.Label?.Length > Limits.Name) v.Add($"rules[{i}].label", $"At most {Limits.Name} characters.");
            }
        // Two open intervals of the same day must not overlap: the template would say the provider is in two places.
        if (input.Rules is { Count: > 0 } rules && v.IsValid)
            foreach (var day in rules.Where(r => r.Kind == "open").GroupBy(r => r.Weekday))
            {
                var sorted = day.OrderBy(r => r.Start).ToList();
                for (var i = 1; i < sorted.Count; i++)
                    if (sorted[i].Start < sorted[i - 1].End) v.Add("rules", $"{day.Key}: open intervals {sorted[i - 1].Start:HH\\:mm}–{sorted[i - 1].End:HH\\:mm} and {sorted[i].Start:HH\\:mm}–{sorted[i].End:HH\\:mm} overlap.");
            }
        v.ThrowIfInvalid();

        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        AvailabilityTemplate t;
        if (id is { } existing)
        {
            t = await Db.Templates.Include(x => x.Rules).FirstOrDefaultAsync(x => x.Id == existing, ct) ?? throw new NotFoundException($"Template {existing} was not found.");
            if (input.ExpectedVersion is { } ev && ev != t.Version)
                throw new PreconditionFailedException("This template was changed by someone else since you opened it. Reload it and try again.");
            Db.Rules.RemoveRange(t.Rules);
            t.Rules.Clear();
            t.Version++;
        }
        else t = Db.Templates.Add(new AvailabilityTemplate { Id = TypedIds.NewGuid(time), Version = 1 }).Entity;
        (t.ProviderId, t.LocationId, t.Name, t.EffectiveFrom, t.EffectiveTo) = (input.ProviderId, input.LocationId, input.Name.Trim(), input.EffectiveFrom, input.EffectiveTo);
        foreach (var r in input.Rules!)
            t.Rules.Add(new AvailabilityRule { Id = TypedIds.NewGuid(time), TemplateId = t.Id, Weekday = r.Weekday, Start = r.Start, End = r.End, Kind = r.Kind, Label = r.Label });
        try { await Db.SaveChangesAsync(ct); }
        catch (DbUpdateConcurrencyException) { throw new PreconditionFailedException("This template was changed by someone else since you opened it. Reload it and try again."); }
        await audit.RecordAsync(new AuditEntry(id is null ? AuditAction.Create : AuditAction.Update, "Schedule", t.Id.ToString(),
            Detail: $"template {t.Name}, {t.Rules.Count} interval(s)"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return View(t);
    }

    public async Task<IReadOnlyList<ExceptionView>> ExceptionsAsync(DateTimeOffset from, DateTimeOffset to, Guid? providerId, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var (f, t) = (from.UtcDateTime, to.UtcDateTime);
        var q = Db.Exceptions.AsNoTracking().Where(x => x.StartUtc < t && x.EndUtc > f);
        if (providerId is { } p) q = q.Where(x => x.ProviderId == null || x.ProviderId == p);
        return (await q.OrderBy(x => x.StartUtc).ToListAsync(ct)).Select(View).ToList();
    }

    public async Task<ExceptionView> AddExceptionAsync(ExceptionInput input, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        var v = new Validator();
        if (input.Kind is not ("closed" or "blocked" or "open")) v.Add("kind", "Use closed (holiday), blocked (meeting) or open (extra hours).");
        if (string.IsNullOrWhiteSpace(input.Reason) || input.Reason.Length > Limits.Text) v.Add("reason", $"Give a reason of at most {Limits.Text} characters.");
        if (input.ProviderId is { } p && !await Db.Providers.AnyAsync(x => x.Id == p, ct)) v.Add("providerId", "No such provider.");
        Location? location = null;
        if (input.LocationId is { } l && (location = await Db.Locations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == l, ct)) is null) v.Add("locationId", "No such location.");
        if (input.Kind == "open" && (input.ProviderId is null || input.LocationId is null)) v.Add("kind", "Extra open hours are for one provider at one location.");
        DateTime start = default, end = default;
        if (input.FromDate is { } fromDate)
        {
            SlotRules.ValidateDate(fromDate, "fromDate", v);
            if (input.ToDate is { } lastDate) SlotRules.ValidateDate(lastDate, "toDate", v);
            if (location is null) v.Add("locationId", "Whole-day closures need the location whose calendar days they follow.");
            else if (v.IsValid)
            {
                var zone = Zones.Get(location.TimeZone);
                var toDate = input.ToDate ?? fromDate;
                if (toDate < fromDate) v.Add("toDate", "The closure ends before it starts.");
                start = Zones.StartOfDayUtc(fromDate, zone);
                end = Zones.StartOfDayUtc(toDate.AddDays(1), zone);
            }
        }
        else if (input.Start is { } s && input.End is { } e)
        {
            (start, end) = (s.UtcDateTime, e.UtcDateTime);
            if (end <= start) v.Add("end", "The block ends before it starts.");
        }
        else v.Add("start", "Give a start and end time, or a date range.");
        v.ThrowIfInvalid();
        var x = new AvailabilityException
        {
            Id = TypedIds.NewGuid(time), ProviderId = input.ProviderId, LocationId = input.LocationId, Kind = input.Kind, Reason = input.Reason.Trim(),
            StartUtc = start, EndUtc = end,
        };
        Db.Exceptions.Add(x);
        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        await Db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Create, "Schedule", x.Id.ToString(), Detail: $"{x.Kind}: {x.Reason}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return View(x);
    }

    public async Task RemoveExceptionAsync(Guid id, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        await using var tx = await Db.Database.BeginTransactionAsync(ct);
        var x = await Db.Exceptions.FirstOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException($"Exception {id} was not found.");
        Db.Exceptions.Remove(x);
        await Db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Delete, "Schedule", id.ToString(), Detail: $"{x.Kind}: {x.Reason}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
    }

    internal static TemplateView View(AvailabilityTemplate t) => new(t.Id, t.ProviderId, t.LocationId, t.Name, t.EffectiveFrom, t.EffectiveTo,
        t.Rules.OrderBy(r => r.Weekday).ThenBy(r => r.Start).Select(r => new RuleInput(r.Weekday, r.Start, r.End, r.Kind, r.Label)).ToList(), t.Version);

    internal static ExceptionView View(AvailabilityException x) => new(x.Id, x.ProviderId, x.LocationId, x.Kind, x.Reason,
        new DateTimeOffset(x.StartUtc), new DateTimeOffset(x.EndUtc));

    internal static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/scheduling");
        g.MapGet("/templates", async (Guid? providerId, Guid? locationId, ManageTemplatesHandler h, CancellationToken ct) => Results.Ok(await h.ListAsync(providerId, locationId, ct)))
            .RequireAuthorization(Permissions.ScheduleRead).WithMetadata(new AuditedAttribute(AuditAction.Search, "Schedule"));
        g.MapPost("/templates", async (TemplateInput input, ManageTemplatesHandler h, CancellationToken ct) => Results.Ok(await h.SaveAsync(null, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Create, "Schedule"));
        g.MapPut("/templates/{id:guid}", async (Guid id, TemplateInput input, ManageTemplatesHandler h, CancellationToken ct) => Results.Ok(await h.SaveAsync(id, input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Update, "Schedule"));
        g.MapGet("/exceptions", async (DateTimeOffset from, DateTimeOffset to, Guid? providerId, ManageTemplatesHandler h, CancellationToken ct) =>
                Results.Ok(await h.ExceptionsAsync(from, to, providerId, ct)))
            .RequireAuthorization(Permissions.ScheduleRead).WithMetadata(new AuditedAttribute(AuditAction.Search, "Schedule"));
        g.MapPost("/exceptions", async (ExceptionInput input, ManageTemplatesHandler h, CancellationToken ct) => Results.Ok(await h.AddExceptionAsync(input, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Create, "Schedule"));
        g.MapDelete("/exceptions/{id:guid}", async (Guid id, ManageTemplatesHandler h, CancellationToken ct) => { await h.RemoveExceptionAsync(id, ct); return Results.NoContent(); })
            .RequireAuthorization(Permissions.ScheduleAdmin).WithMetadata(new AuditedAttribute(AuditAction.Delete, "Schedule"));
    }
}
