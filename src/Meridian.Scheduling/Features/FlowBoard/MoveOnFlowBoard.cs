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
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Features.FlowBoard;

/// <summary>Moves an arrived patient along the day's flow: roomed (into which room) → with provider → checkout → done.</summary>
public sealed record FlowStatusRequest(string Status, Guid? RoomId = null, int? ExpectedVersion = null);

internal sealed class MoveOnFlowBoardHandler(SchedulingStore store, IAuditTrail audit, AppointmentViews views, ScheduleChanges changes)
{
    private static readonly AppointmentStatus[] Flow =
        [AppointmentStatus.Arrived, AppointmentStatus.Roomed, AppointmentStatus.WithProvider, AppointmentStatus.CheckingOut, AppointmentStatus.Done];

    public async Task<AppointmentView> HandleAsync(Guid id, FlowStatusRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        if (!Enum.TryParse<AppointmentStatus>(r.Status, ignoreCase: false, out var to) || Array.IndexOf(Flow, to) < 1)
            throw ValidationFailedException.For("status", "Move a patient to Roomed, WithProvider, CheckingOut or Done (check-in marks them Arrived).");
        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var a = await store.AppointmentForChangeAsync(id, r.ExpectedVersion, ct);
        var from = Array.IndexOf(Flow, a.State);
        if (from < 0) throw new ConflictException(a.State == AppointmentStatus.Scheduled
            ? "Check the patient in first." : $"This appointment is {a.Status}; it is not on the flow board.");
        // Forward only (a step may be skipped: a patient can go straight to checkout); a step back would rewrite the times.
        if (Array.IndexOf(Flow, to) <= from) throw new ConflictException($"The patient is already {a.Status}; the flow only moves forward.");
        Resource? room = null;
        if (to == AppointmentStatus.Roomed)
        {
            if (r.RoomId is not { } roomId) throw ValidationFailedException.For("roomId", "Say which room the patient is in.");
            room = await db.Resources.AsNoTracking().FirstOrDefaultAsync(x => x.Id == roomId && x.LocationId == a.LocationId && x.Kind == "room" && x.Active, ct)
                   ?? throw ValidationFailedException.For("roomId", "Choose a room at this location.");
        }
        var now = store.UtcNow;
        a.Status = to.ToString();
        a.StatusChangedAt = now;
        switch (to)
        {
            case AppointmentStatus.Roomed: a.RoomedAt = now; a.RoomId = room!.Id; break;
            case AppointmentStatus.WithProvider: a.WithProviderAt = now; break;
            case AppointmentStatus.CheckingOut: a.CheckoutAt = now; break;
            case AppointmentStatus.Done: a.DoneAt = now; break;
        }
        store.Touch(a);
        store.History(a, to.ToString().ToLowerInvariant(), room is null ? null : $"room {room.Name}");
        await store.SaveAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Appointment", a.Id.ToString(), a.PatientId.ToString(), Detail: $"flow: {to}{(room is null ? "" : $" ({room.Name})")}"),
            tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        changes.Publish(new ScheduleChange(a.Id, a.LocationId, a.ProviderId, to.ToString(), a.StartUtc, now));
        return await views.OneAsync(a, ct);
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/scheduling/appointments/{id:guid}/status", async (Guid id, FlowStatusRequest request, MoveOnFlowBoardHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(id, request, ct)))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Appointment"));
}
