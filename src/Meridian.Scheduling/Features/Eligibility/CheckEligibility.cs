using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Meridian.X12;
using Meridian.X12.Eligibility;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Scheduling.Features.Eligibility;

/// <summary>Who the practice is on its 270s (ISA06/ISA08 and the clearinghouse account).</summary>
public sealed class EligibilityOptions
{
    public string SubmitterQualifier { get; set; } = "ZZ";
    public string SubmitterId { get; set; } = "MERIDIANDEMO";
    public string ReceiverQualifier { get; set; } = "ZZ";
    public string ReceiverId { get; set; } = "CLEARINGHOUSE";
    /// <summary>EQ01 service type asked for: 30 = health benefit plan coverage (the general question, and what copays hang on).</summary>
    public string ServiceType { get; set; } = "30";
    /// <summary>Whose copay/coinsurance/deductible the check-in screen shows: 98 = professional (physician) visit, office.</summary>
    public string CostShareServiceType { get; set; } = "98";
    /// <summary>Local hour after which the nightly run checks tomorrow's schedule.</summary>
    public int NightlyHour { get; set; } = 18;
}

/// <summary>The latest eligibility answer, as the appointment, the check-in screen and the chart header show it.</summary>
public sealed record EligibilityView(long Id, Guid? AppointmentId, string Status, string? PayerName, string? PlanName, DateOnly? PlanBegin, DateOnly? PlanEnd,
    decimal? Copay, decimal? CoinsurancePercent, decimal? Deductible, decimal? DeductibleRemaining, IReadOnlyList<string> Messages, DateTimeOffset CheckedAt);

internal sealed class CheckEligibilityHandler(
    SchedulingStore store,
    IPatientDirectory patients,
    EligibilityChecker checker,
    IAuditTrail audit,
    IOptions<EligibilityOptions> options,
    ScheduleChanges changes,
    ILogger<CheckEligibilityHandler> log)
{
    public async Task<EligibilityView> ForAppointmentAsync(Guid appointmentId, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        var db = store.Db;
        var a = await db.Appointments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == appointmentId, ct) ?? throw new NotFoundException($"Appointment {appointmentId} was not found.");
        var location = await store.LocationAsync(a.LocationId, ct);
        var provider = await store.ProviderAsync(a.ProviderId, ct);
        var view = await CheckAsync(a.PatientId, Zones.LocalDate(a.StartUtc, Zones.Get(location.TimeZone)), provider, a.Id, ct);
        changes.Publish(new ScheduleChange(a.Id, a.LocationId, a.ProviderId, "eligibility", a.StartUtc, store.UtcNow));
        return view;
    }

    /// <summary>
    /// Checks every scheduled appointment of a day that has no answered check from the last 24 hours (the batch the front
    /// desk runs the evening before, or the nightly service). Returns how many were checked.
    /// </summary>
    public async Task<int> ForDayAsync(DateOnly date, Guid? locationId, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleWrite);
        var v = new Validator();
        SlotRules.ValidateDate(date, "date", v);
        v.ThrowIfInvalid();
        var db = store.Db;
        if (locationId is { } only) await store.LocationAsync(only, ct); // an unknown location is a 404, not "0 checked"
        var locations = await db.Locations.AsNoTracking().Where(l => l.Active && (locationId == null || l.Id == locationId)).ToListAsync(ct);
        var providers = await db.Providers.AsNoTracking().ToDictionaryAsync(p => p.Id, ct);
        var checkedCount = 0;
        foreach (var location in locations)
        {
            var zone = Zones.Get(location.TimeZone);
            var (from, to) = (Zones.StartOfDayUtc(date, zone), Zones.StartOfDayUtc(date.AddDays(1), zone));
            var recent = store.UtcNow.AddHours(-24);
            var due = await db.Appointments.AsNoTracking()
                .Where(x => x.LocationId == location.Id && x.StartUtc >= from && x.StartUtc < to && x.Status == nameof(AppointmentStatus.Scheduled))
                .Where(x => !db.EligibilityChecks.Any(c => c.AppointmentId == x.Id && c.RequestedAt > recent && c.Status != "Error" && c.Status != "Pending"))
                .OrderBy(x => x.StartUtc).ToListAsync(ct);
            foreach (var a in due)
            {
                try
                {
                    await CheckAsync(a.PatientId, date, providers[a.ProviderId], a.Id, ct);
                    checkedCount++;
                }
                catch (ValidationFailedException e)
                {
                    // A patient without usable coverage data is the front desk's to-do, not a reason to stop the batch.
                    log.LogInformation("Eligibility batch skipped appointment {Appointment}: {Problem}", a.Id, e.Message);
                }
            }
        }
        return checkedCount;
    }

    private async Task<EligibilityView> CheckAsync(Guid patientId, DateOnly serviceDate, Provider provider, Guid? appointmentId, CancellationToken ct)
    {
        var db = store.Db;
        var patient = await patients.FindAsync(new PatientId(patientId), ct) ?? throw new NotFoundException($"Patient {patientId} was not found.");
        var coverage = patient.Coverages.Where(c => c.Active && (c.Details.EffectiveEnd is null || c.Details.EffectiveEnd >= serviceDate))
            .OrderBy(c => c.Details.Rank).FirstOrDefault();
        var v = new Validator();
        if (coverage is null) v.Add("coverage", "The patient has no active coverage to check. Add the insurance card on the patient's coverage page.");
        else if (string.IsNullOrWhiteSpace(coverage.Details.PayerId)) v.Add("coverage", $"{coverage.Details.PayerName} has no payer id on the patient's coverage; the clearinghouse needs it.");
        if (provider.Npi is null) v.Add("provider", $"{provider.Name} has no NPI; add it in the scheduling set-up.");
        v.ThrowIfInvalid();
        var inquiry = Inquiry(patient, coverage!.Details, provider, serviceDate);
        // Refused inquiries (text X12 cannot carry, a birth date after the service date…) are 400s that leave no trace of a
        // request that was never sent.
        Eligibility270Builder.ThrowIfInvalid(inquiry);

        // The request is recorded before it leaves (its id is the 270's control number), outside any transaction held
        // across the network call.
        var row = new EligibilityCheck
        {
            AppointmentId = appointmentId, PatientId = patientId, CoverageId = coverage.Id.Value, ServiceDate = serviceDate,
            RequestedAt = store.UtcNow, RequestedBy = store.Actor.UserName, PayerName = coverage.Details.PayerName,
        };
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            db.EligibilityChecks.Add(row);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(new AuditEntry(AuditAction.Export, "CoverageEligibilityRequest", row.Id.ToString(), patientId.ToString(),
                Detail: $"270 to {coverage.Details.PayerName} for {serviceDate:yyyy-MM-dd}"), tx.GetDbTransaction(), ct);
            await tx.CommitAsync(ct);
        }
        // The row id is both the trace number (TRN02, echoed in the 271) and the interchange control number.
        var result = await checker.CheckAsync(inquiry with { TraceNumber = $"{row.Id}" }, (int)(row.Id % 1_000_000_000), ct);
        row.RequestX12 = result.Exchange.Request;
        row.ResponseX12 = result.Exchange.Response;
        row.AnsweredAt = store.UtcNow;
        var messages = new List<string>();
        if (result.Response is { } r)
        {
            row.Status = r.Status.ToString();
            row.PayerName = r.Payer?.DisplayName is { Length: > 0 } payer ? payer : row.PayerName;
            row.PlanName = r.PlanName;
            row.PlanBegin = r.PlanBegin;
            row.PlanEnd = r.PlanEnd;
            var share = r.CostShareFor(options.Value.CostShareServiceType);
            row.Copay = share.CopayAmount;
            row.CoinsurancePercent = share.CoinsurancePercentageAsDecimal is { } c ? c * 100 : null;
            row.Deductible = share.DeductibleAmount;
            row.DeductibleRemaining = share.DeductibleRemainingAmount;
            messages.AddRange(r.Rejections.Select(x => x.Message));
            messages.AddRange(r.Benefits.Where(b => b.Messages is { Count: > 0 }).SelectMany(b => b.Messages).Distinct().Take(5));
        }
        else
        {
            row.Status = "Error";
            messages.Add(result.Problem ?? "The eligibility check failed.");
        }
        var text = string.Join('\n', messages);
        row.Messages = text.Length > Limits.Note ? text[..Limits.Note] : text;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            db.EligibilityChecks.Update(row);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(new AuditEntry(AuditAction.Create, "CoverageEligibilityResponse", row.Id.ToString(), patientId.ToString(),
                Outcome: row.Status == "Error" ? AuditOutcome.Failed : AuditOutcome.Success, Detail: $"271: {row.Status}"), tx.GetDbTransaction(), ct);
            await tx.CommitAsync(ct);
        }
        return View(row);
    }

    /// <summary>The inquiry for a patient's coverage; its trace number is set once the check is recorded (it is the row's id).</summary>
    private EligibilityInquiry Inquiry(PatientSnapshot patient, CoverageDetails coverage, Provider provider, DateOnly serviceDate)
    {
        var o = options.Value;
        var d = patient.Details;
        var self = coverage.SubscriberRelationship == "self";
        var subscriber = self
            ? new EligibilitySubscriber(coverage.MemberId, d.LegalName.Given.FirstOrDefault(), d.LegalName.Family, d.BirthDate, Gender(d.Gender), coverage.GroupNumber)
            : new EligibilitySubscriber(coverage.MemberId, coverage.Subscriber?.Given.FirstOrDefault(), coverage.Subscriber?.Family, coverage.SubscriberBirthDate,
                null, coverage.GroupNumber);
        // 005010X279A1 §1.4.2: the patient is sent as a dependent only when not the subscriber (the card is in someone else's name).
        var dependent = self ? null : new EligibilityDependent(d.LegalName.Given.FirstOrDefault() ?? "", d.LegalName.Family, d.BirthDate, Gender(d.Gender));
        var (last, first) = SplitName(provider.Name);
        return new EligibilityInquiry("1", new EdiParty(o.SubmitterQualifier, o.SubmitterId),
            new EdiParty(o.ReceiverQualifier, o.ReceiverId), coverage.PayerName, coverage.PayerId!, last, provider.Npi!, subscriber, dependent,
            serviceDate, [o.ServiceType], ProviderFirstName: first);
    }

    private static X12Gender? Gender(string gender) => gender switch { "female" => X12Gender.Female, "male" => X12Gender.Male, _ => null };

    /// <summary>"Dr. Priya Raman, MD" → ("Raman", "Priya") for 2100B NM1*1P*1.</summary>
    private static (string Last, string? First) SplitName(string name)
    {
        var core = name.Split(',')[0].Replace("Dr. ", "", StringComparison.Ordinal).Trim();
        var parts = core.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 ? (parts[^1], parts[0]) : (core, null);
    }

    internal static EligibilityView View(EligibilityCheck c) => new(c.Id, c.AppointmentId, c.Status, c.PayerName, c.PlanName, c.PlanBegin, c.PlanEnd,
        c.Copay, c.CoinsurancePercent, c.Deductible, c.DeductibleRemaining,
        string.IsNullOrEmpty(c.Messages) ? [] : c.Messages.Split('\n'), new DateTimeOffset(c.AnsweredAt ?? c.RequestedAt));

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/scheduling/appointments/{id:guid}/eligibility", async (Guid id, CheckEligibilityHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.ForAppointmentAsync(id, ct)))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Export, "CoverageEligibilityRequest"));
        app.MapPost("/api/scheduling/eligibility/batch", async (EligibilityBatchRequest request, CheckEligibilityHandler handler, CancellationToken ct) =>
                Results.Ok(new { @checked = await handler.ForDayAsync(request.Date, request.LocationId, ct) }))
            .RequireAuthorization(Permissions.ScheduleWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Export, "CoverageEligibilityRequest"));
    }
}

public sealed record EligibilityBatchRequest(DateOnly Date, Guid? LocationId = null);
