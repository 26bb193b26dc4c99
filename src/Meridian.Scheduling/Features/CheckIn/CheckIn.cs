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

namespace Meridian.Scheduling.Features.CheckIn;

/// <summary>
/// The patient is here: the front desk has confirmed demographics and coverage with them and may have taken the copay.
/// The copay is kept on the appointment until billing's ledger takes it over.
/// </summary>
public sealed record CheckInRequest(bool DemographicsConfirmed, bool CoverageConfirmed, decimal? CopayAmount = null, string? CopayMethod = null, int? ExpectedVersion = null);

internal sealed class CheckInHandler(SchedulingStore store, IAuditTrail audit, AppointmentViews views, ScheduleChanges changes)
{
    public static readonly string[] CopayMethods = ["cash", "card", "check"];

    public async Task<AppointmentView> HandleAsync(Guid id, CheckInRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        var v = new Validator();
        if (!r.DemographicsConfirmed) v.Add("demographicsConfirmed", "Confirm the patient's name, date of birth, address and phone with them first.");
        if (r.CopayAmount is { } amount)
        {
            if (amount < 0 || amount > 10_000) v.Add("copayAmount", "A copay is between $0 and $10,000.");
            if (decimal.Round(amount, 2) != amount) v.Add("copayAmount", "Give the amount in dollars and cents.");
            if (r.CopayMethod is null || !CopayMethods.Contains(r.CopayMethod)) v.Add("copayMethod", "Say how it was paid: cash, card or check.");
        }
        else if (r.CopayMethod is not null) v.Add("copayAmount", "Give the amount collected.");
        v.ThrowIfInvalid();

        var db = store.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var a = await store.AppointmentForChangeAsync(id, r.ExpectedVersion, ct);
        if (a.State is not AppointmentStatus.Scheduled) throw new ConflictException($"This appointment is {a.Status}; only a scheduled appointment can be checked in.");
        var location = await store.LocationAsync(a.LocationId, ct);
        var zone = Zones.Get(location.TimeZone);
        if (Zones.LocalDate(a.StartUtc, zone) != Zones.LocalDate(store.UtcNow, zone))
            throw new ConflictException($"This appointment is on {Zones.ToLocal(a.StartUtc, zone):ddd d MMM}; patients check in on the day of their visit.");
        var now = store.UtcNow;
        a.Status = nameof(AppointmentStatus.Arrived);
        a.StatusChangedAt = now;
        a.ArrivedAt = now;
        a.CopayCollected = r.CopayAmount;
        a.CopayMethod = r.CopayMethod;
        store.Touch(a);
        var detail = string.Join(", ", new[]
        {
            "demographics confirmed",
            r.CoverageConfirmed ? "coverage confirmed" : "coverage NOT confirmed",
            r.CopayAmount is { } c ? $"copay ${c:0.00} {r.CopayMethod}" : null,
        }.OfType<string>());
        store.History(a, "checked-in", detail);
        await store.SaveAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "Appointment", a.Id.ToString(), a.PatientId.ToString(), Detail: "checked in: " + detail), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        changes.Publish(new ScheduleChange(a.Id, a.LocationId, a.ProviderId, "arrived", a.StartUtc, now));
        return await views.OneAsync(a, ct);
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/scheduling/appointments/{id:guid}/check-in", async (Guid id, CheckInRequest request, CheckInHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(id, request, ct)))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "Appointment"));
}
