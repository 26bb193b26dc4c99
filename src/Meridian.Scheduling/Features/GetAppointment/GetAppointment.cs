using Meridian.Audit.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.GetAppointment;

public sealed record AppointmentHistoryEntry(DateTimeOffset At, string Action, string? UserName, string? Detail);

public sealed record AppointmentDetails(AppointmentView Appointment, IReadOnlyList<AppointmentHistoryEntry> History);

internal sealed class GetAppointmentHandler(SchedulingStore store, IAuditTrail audit, AppointmentViews views)
{
    public async Task<AppointmentDetails> HandleAsync(Guid id, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleRead);
        var db = store.Db;
        var a = await db.Appointments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException($"Appointment {id} was not found.");
        var history = await db.Events.AsNoTracking().Where(e => e.AppointmentId == id).OrderBy(e => e.Id).ToListAsync(ct);
        var view = await views.OneAsync(a, ct);
        var zone = Zones.Get(view.TimeZone);
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Appointment", id.ToString(), a.PatientId.ToString()), ct);
        return new AppointmentDetails(view, history.Select(e => new AppointmentHistoryEntry(Zones.ToLocal(e.At, zone), e.Action, e.UserName, e.Detail)).ToList());
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/scheduling/appointments/{id:guid}", async (Guid id, GetAppointmentHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(id, ct)))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Read, "Appointment"));
}
