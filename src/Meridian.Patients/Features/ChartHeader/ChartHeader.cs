using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.Patients.Features.AddCoverage;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meridian.Patients.Features.ChartHeader;

public sealed record CoverageLine(CoverageId Id, int Rank, string RankName, string PayerName, string? PlanName, string MemberId,
    string? GroupNumber, DateOnly? EffectiveStart, DateOnly? EffectiveEnd, bool InEffect);

/// <summary>The banner on top of every chart. Alerts and Items are open lists that other modules add to (IChartHeaderContributor).</summary>
public sealed record ChartHeaderView(
    PatientId Id,
    string Mrn,
    int Version,
    string Name,
    PersonName LegalName,
    PersonName? PreferredName,
    DateOnly BirthDate,
    string Age,
    string Gender,
    string? BirthSex,
    string? GenderIdentity,
    string? PreferredLanguage,
    string? Phone,
    string? Email,
    bool Active,
    PatientId? MergedInto,
    DateOnly? DeceasedDate,
    IReadOnlyList<CoverageLine> Coverages,
    Guarantor? Guarantor,
    IReadOnlyList<ChartAlert> Alerts,
    IReadOnlyList<KeyValuePair<string, string>> Items);

internal sealed class ChartHeaderHandler(PatientStore store, IAuditTrail audit, TimeProvider time, IEnumerable<IChartHeaderContributor> contributors)
{
    public async Task<ChartHeaderView> HandleAsync(PatientId id, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientRead);
        var patient = await store.LoadAsync(id.Value, tracked: false, ct) ?? throw new NotFoundException($"Patient {id} was not found.");
        var today = DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        var d = PatientMapping.Details(patient);

        var coverages = patient.Coverages.Where(c => c.Active).OrderBy(c => c.Rank)
            .Select(c => new CoverageLine(new CoverageId(c.Id), c.Rank, CoverageRules.RankName(c.Rank), c.PayerName, c.PlanName, c.MemberId,
                c.GroupNumber, c.EffectiveStart, c.EffectiveEnd, InEffect(c.EffectiveStart, c.EffectiveEnd, today)))
            .ToList();

        var header = new ChartHeaderBuilder();
        if (patient.MergedIntoId is { } survivor)
            header.Alerts.Add(new ChartAlert("merged", "critical", $"This record was merged into another chart ({survivor}); use the surviving record.", "Patients"));
        else if (!patient.Active)
            header.Alerts.Add(new ChartAlert("inactive", "warning", "This record is inactive.", "Patients"));
        if (patient.DeceasedDate is { } dd)
            header.Alerts.Add(new ChartAlert("deceased", "critical", $"Deceased {dd:yyyy-MM-dd}.", "Patients"));
        if (patient.PossibleDuplicateOf is { } dup)
            header.Alerts.Add(new ChartAlert("possible-duplicate", "warning", dup + ". Review and merge if it is the same person.", "Patients"));
        if (!coverages.Any(c => c.InEffect))
            header.Alerts.Add(new ChartAlert("no-active-coverage", "warning",
                coverages.Count == 0 ? "No active insurance coverage (self-pay)." : "No coverage is in effect today; check the effective dates.", "Patients"));
        foreach (var contributor in contributors) await contributor.ContributeAsync(id, header, ct);

        var pid = id.ToString();
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Patient", pid, pid, Detail: "chart header"), ct);
        var telecom = d.Telecom ?? [];
        return new ChartHeaderView(
            id, patient.Mrn, patient.Version, d.LegalName.Display, d.LegalName, d.PreferredName, patient.BirthDate,
            Age(patient.BirthDate, patient.DeceasedDate ?? today), patient.Gender, patient.BirthSex,
            d.GenderIdentity?.Display ?? d.GenderIdentity?.Code, d.PreferredLanguage?.Display ?? d.PreferredLanguage?.Code,
            Preferred(telecom, "phone"), Preferred(telecom, "email"),
            patient.Active, patient.MergedIntoId is { } m ? new PatientId(m) : null, patient.DeceasedDate,
            coverages, d.Guarantor, header.Alerts, header.Items);
    }

    private static bool InEffect(DateOnly? start, DateOnly? end, DateOnly today) =>
        (start is null || start <= today) && (end is null || end >= today);

    private static string? Preferred(IReadOnlyList<ContactPoint> telecom, string system) =>
        telecom.Where(t => t.System == system).OrderBy(t => t.Rank ?? int.MaxValue).FirstOrDefault()?.Value;

    /// <summary>Age as clinicians write it: years from 2, months under 2, days under a month.</summary>
    internal static string Age(DateOnly birth, DateOnly asOf)
    {
        if (asOf < birth) return "0 d";
        var months = (asOf.Year - birth.Year) * 12 + asOf.Month - birth.Month - (asOf.Day < birth.Day ? 1 : 0);
        if (months >= 24) return $"{months / 12} y";
        if (months >= 1) return $"{months} mo";
        return $"{asOf.DayNumber - birth.DayNumber} d";
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/patients/{id:guid}/header", async (Guid id, ChartHeaderHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.HandleAsync(new PatientId(id), ct)))
            .RequireAuthorization(Permissions.PatientRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Read, "Patient"));
}
