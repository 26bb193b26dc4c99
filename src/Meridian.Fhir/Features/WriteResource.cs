using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Http;
using Meridian.Fhir.Mapping;
using Meridian.Fhir.Store;
using Meridian.Fhir.Validation;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Fhir.Features;

/// <summary>
/// POST /fhir/{type} and PUT /fhir/{type}/{id}. Validate first, then write: Patient and Coverage go to the Patients
/// module (their system of record), which projects them back into the FHIR store in its own transaction; the
/// FHIR-native types are stored here with their history, index rows and audit record in one transaction.
/// </summary>
internal static class WriteResource
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    internal static JsonDocument ParseBody(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body, ParseOptions);
        }
        catch (JsonException e)
        {
            throw FhirError.BadRequest($"The body is not valid JSON: {e.Message}", "structure");
        }
    }

    public static async Task Create(HttpContext http, string type, FhirStore store, IAuditTrail audit, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var body = await FhirHttp.ReadBodyAsync(http.Request, ct);
        using var doc = ParseBody(body);
        var resource = doc.RootElement;
        ResourceValidator.ThrowIfInvalid(resource, type);

        StoredVersion saved;
        switch (type)
        {
            case "Patient":
            {
                var directory = http.RequestServices.GetRequiredService<IPatientDirectory>();
                var details = PatientMapper.Parse(resource, null);
                var snapshot = await directory.RegisterAsync(details, [], allowPossibleDuplicate: false, ct);
                saved = new StoredVersion(type, snapshot.Id.ToString(), snapshot.Version, snapshot.LastUpdated.UtcDateTime, false, PatientMapper.Render(snapshot));
                break;
            }
            case "Coverage":
            {
                var directory = http.RequestServices.GetRequiredService<IPatientDirectory>();
                // A new coverage is an active one; ending a coverage is its own action (deactivation), not a create.
                if (FhirJson.S(resource, "status") is { } status && status != "active")
                    throw FhirError.BadRequest($"Coverage.status '{status}': Meridian adds active coverages only; to end one, deactivate it.", "business-rule");
                var (patient, details) = CoverageMapper.Parse(resource);
                var coverage = await directory.AddCoverageAsync(patient, details, ct);
                saved = new StoredVersion(type, coverage.Id.ToString(), coverage.Version, coverage.LastUpdated.UtcDateTime, false, CoverageMapper.Render(coverage));
                break;
            }
            default:
            {
                var id = Guid.CreateVersion7(time.GetUtcNow()).ToString();
                saved = await SaveNativeAsync(store, audit, time, type, id, resource, expectedVersion: null, mustExist: false, ct);
                break;
            }
        }
        http.Response.Headers.Location = $"{FhirHttp.BaseUrl(http.Request)}/{type}/{saved.Id}/_history/{saved.VersionId}";
        await FhirHttp.WriteResourceAsync(http, saved, StatusCodes.Status201Created);
    }

    public static async Task Update(HttpContext http, string type, string id, FhirStore store, IAuditTrail audit, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var expected = FhirHttp.IfMatch(http.Request);
        var body = await FhirHttp.ReadBodyAsync(http.Request, ct);
        using var doc = ParseBody(body);
        var resource = doc.RootElement;
        ResourceValidator.ThrowIfInvalid(resource, type);
        // R4 http.html#update: the body SHALL carry an id equal to the one in the URL.
        var bodyId = resource.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
        if (bodyId is null) throw FhirError.BadRequest("An update must carry the resource id in the body.", "required");
        if (bodyId != id) throw FhirError.BadRequest($"The body's id '{bodyId}' does not match the URL's id '{id}'.");
        if (!ReadResource.IdPattern().IsMatch(id)) throw FhirError.BadRequest($"'{id}' is not a valid FHIR id.");

        StoredVersion saved;
        switch (type)
        {
            case "Patient":
            {
                var directory = http.RequestServices.GetRequiredService<IPatientDirectory>();
                var patientId = PatientId.TryParse(id) ?? throw NoUpdateCreate(type, id);
                var existing = await directory.FindAsync(patientId, ct) ?? throw NoUpdateCreate(type, id);
                var details = PatientMapper.Parse(resource, existing.Details);
                var snapshot = await directory.UpdateAsync(patientId, details, expected, ct);
                saved = new StoredVersion(type, id, snapshot.Version, snapshot.LastUpdated.UtcDateTime, false, PatientMapper.Render(snapshot));
                break;
            }
            case "Coverage":
            {
                var directory = http.RequestServices.GetRequiredService<IPatientDirectory>();
                var coverageId = CoverageId.TryParse(id) ?? throw NoUpdateCreate(type, id);
                var existing = await directory.FindCoverageAsync(coverageId, ct) ?? throw NoUpdateCreate(type, id);
                var (patient, details) = CoverageMapper.Parse(resource);
                if (patient != existing.PatientId)
                    throw FhirError.BadRequest("A coverage cannot be moved to another patient; add a new Coverage instead.");
                var coverage = await directory.UpdateCoverageAsync(coverageId, details, expected, ct);
                saved = new StoredVersion(type, id, coverage.Version, coverage.LastUpdated.UtcDateTime, false, CoverageMapper.Render(coverage));
                break;
            }
            default:
                saved = await SaveNativeAsync(store, audit, time, type, id, resource, expected, mustExist: false, ct);
                break;
        }
        if (saved.VersionId == 1) http.Response.Headers.Location = $"{FhirHttp.BaseUrl(http.Request)}/{type}/{id}/_history/1";
        await FhirHttp.WriteResourceAsync(http, saved, saved.VersionId == 1 ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    // Patient and Coverage ids are assigned by the Patients module; a client cannot choose them (update-as-create).
    private static FhirException NoUpdateCreate(string type, string id) =>
        new(405, [new FhirIssue("not-supported", $"{type}/{id} does not exist, and {type} ids are assigned by the server: create it with POST /fhir/{type}.")]);

    private static async Task<StoredVersion> SaveNativeAsync(FhirStore store, IAuditTrail audit, TimeProvider time, string type, string id,
        JsonElement resource, int? expectedVersion, bool mustExist, CancellationToken ct)
    {
        await using var connection = store.CreateConnection();
        await connection.OpenAsync(ct);
        await using var turn = await SqliteWriteGate.TurnAsync(connection, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var (saved, created) = await store.WriteNativeAsync(tx, type, id, resource, expectedVersion, mustExist, time.GetUtcNow().UtcDateTime, ct);
        string? patient = null;
        if (type == "RelatedPerson") patient = PatientLink.Of("patient", resource);
        await audit.RecordAsync(new AuditEntry(created ? AuditAction.Create : AuditAction.Update, type, id, patient), tx, ct);
        await tx.CommitAsync(ct);
        return saved;
    }
}
