using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meridian.Patients.Features.GetPatient;

internal sealed class GetPatientHandler(PatientStore store, IAuditTrail audit)
{
    /// <summary>
    /// The full record. A merged record is still returned (its history is kept) with <see cref="PatientSnapshot.MergedInto"/>
    /// pointing at the survivor, so callers can follow it.
    /// </summary>
    public async Task<PatientSnapshot> HandleAsync(PatientId id, CancellationToken ct = default)
    {
        store.Require(Permissions.PatientRead);
        var patient = await store.LoadAsync(id.Value, tracked: false, ct) ?? throw new NotFoundException($"Patient {id} was not found.");
        var pid = id.ToString();
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, "Patient", pid, pid), ct);
        return PatientMapping.Snapshot(patient, patient.Coverages);
    }

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/patients/{id:guid}", async (Guid id, GetPatientHandler handler, HttpContext http, CancellationToken ct) =>
            {
                var patient = await handler.HandleAsync(new PatientId(id), ct);
                http.Response.Headers.ETag = PatientEtag.Format(patient.Version);
                if (patient.MergedInto is { } survivor)
                    http.Response.Headers.Link = $"</api/patients/{survivor}>; rel=\"successor-version\"";
                return Results.Ok(patient);
            })
            .RequireAuthorization(Permissions.PatientRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Read, "Patient"));
}

/// <summary>Weak ETags carrying the version number, as FHIR does (W/"3").</summary>
internal static class PatientEtag
{
    public static string Format(int version) => $"W/\"{version}\"";

    /// <summary>The version in an If-Match header (W/"3", "3" or 3); null when absent; a 400 when it is not a version.</summary>
    public static int? Parse(HttpRequest request)
    {
        var raw = request.Headers.IfMatch.ToString().Trim();
        if (raw.Length == 0) return null;
        if (raw.StartsWith("W/", StringComparison.Ordinal)) raw = raw[2..];
        raw = raw.Trim('"');
        return int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw ValidationFailedException.For("If-Match", "must be the version ETag returned by a read, such as W/\"3\".");
    }

    /// <summary>The expected version from the body or If-Match; they must agree when both are sent, and one is required.</summary>
    public static int Expected(HttpRequest request, int? bodyVersion)
    {
        var header = Parse(request);
        if (header is { } h && bodyVersion is { } b && h != b)
            throw ValidationFailedException.For("version", "differs from the If-Match header.");
        return header ?? bodyVersion ?? throw ValidationFailedException.For("version",
            "is required: send the version you read (or an If-Match header) so that concurrent edits are detected.");
    }
}
