using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.FlowBoard;

public sealed record FlowBoardRow(AppointmentView Appointment, int? MinutesInStatus, int? WaitMinutes);

public sealed record FlowBoardView(Guid LocationId, string LocationName, DateOnly Date, string TimeZone, DateTimeOffset AsOf, IReadOnlyList<FlowBoardRow> Rows);

/// <summary>
/// The day's patients at a location with where each stands, how long in that status, and the wait since arrival.
/// Live screens subscribe to the stream and re-read the board on every committed change.
/// </summary>
internal sealed class FlowBoardHandler(SchedulingStore store, IAuditTrail audit, AppointmentViews views)
{
    public async Task<FlowBoardView> HandleAsync(Guid locationId, DateOnly? date, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var db = store.Db;
        var location = await store.LocationAsync(locationId, ct);
        var zone = Zones.Get(location.TimeZone);
        var now = store.UtcNow;
        var day = date ?? Zones.LocalDate(now, zone);
        var v = new Validator();
        SlotRules.ValidateDate(day, "date", v);
        v.ThrowIfInvalid();
        var (from, to) = (Zones.StartOfDayUtc(day, zone), Zones.StartOfDayUtc(day.AddDays(1), zone));
        var rows = await db.Appointments.AsNoTracking()
            .Where(a => a.LocationId == locationId && a.StartUtc >= from && a.StartUtc < to && a.Status != nameof(AppointmentStatus.Cancelled))
            .OrderBy(a => a.StartUtc).ToListAsync(ct);
        var shown = await views.ManyAsync(rows, ct);
        var result = rows.Zip(shown, (a, v) =>
        {
            var active = a.State is AppointmentStatus.Arrived or AppointmentStatus.Roomed or AppointmentStatus.WithProvider or AppointmentStatus.CheckingOut;
            int? inStatus = active ? (int)(now - a.StatusChangedAt).TotalMinutes : null;
            int? wait = a.ArrivedAt is { } arrived ? (int)(((a.DoneAt ?? now) - arrived).TotalMinutes) : null;
            return new FlowBoardRow(v, inStatus, wait);
        }).ToList();
        var entries = rows.Select(a => a.PatientId).Distinct()
            .Select(p => new AuditEntry(AuditAction.Search, "Appointment", PatientId: p.ToString(), Detail: $"flow board {day:yyyy-MM-dd}")).ToList();
        if (entries.Count > 0) await audit.RecordManyAsync(entries, null, ct);
        return new FlowBoardView(location.Id, location.Name, day, location.TimeZone, Zones.ToLocal(now, zone), result);
    }

    /// <summary>
    /// Server-sent events (HTML Living Standard §9.2): one "change" event per committed change at the location, and a
    /// comment every 15 s so proxies keep the connection open. The events carry ids only; the board is re-read (and
    /// audited) by the screen, so no patient data travels outside an authorized, audited read.
    /// </summary>
    public static async Task StreamAsync(HttpContext http, Guid locationId, ScheduleChanges changes, SchedulingStore store, IAuditTrail audit, CancellationToken ct)
    {
        store.Require(Permissions.ScheduleRead);
        await store.LocationAsync(locationId, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "Appointment", Detail: $"flow board stream {locationId}"), ct);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var (id, reader) = changes.Subscribe();
        try
        {
            await http.Response.WriteAsync("retry: 3000\n: connected\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    if (await reader.WaitToReadAsync(wait.Token))
                        while (reader.TryRead(out var change))
                        {
                            if (change.LocationId != locationId) continue;
                            var data = JsonSerializer.Serialize(new { appointmentId = change.AppointmentId, action = change.Action });
                            await http.Response.WriteAsync($"event: change\ndata: {data}\n\n", ct);
                        }
                    else break;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                }
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { /* the watcher left */ }
        finally { changes.Unsubscribe(id); }
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/scheduling/flow-board", async (Guid locationId, DateOnly? date, FlowBoardHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(locationId, date, ct)))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "Appointment"));
        app.MapGet("/api/scheduling/flow-board/stream", (HttpContext http, Guid locationId, ScheduleChanges changes, SchedulingStore store, IAuditTrail audit, CancellationToken ct) =>
                StreamAsync(http, locationId, changes, store, audit, ct))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "Appointment"));
    }
}
