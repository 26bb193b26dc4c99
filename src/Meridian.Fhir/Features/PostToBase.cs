using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Http;
using Microsoft.AspNetCore.Http;

namespace Meridian.Fhir.Features;

/// <summary>
/// POST /fhir: the batch/transaction interaction (R4 http.html#transaction). Meridian does not process Bundles yet (the
/// CapabilityStatement declares no batch or transaction interaction), so the request is refused with an
/// OperationOutcome that says what to do instead, and the refusal is audited. Nothing is stored.
/// </summary>
internal static class PostToBase
{
    public static async Task Refuse(HttpContext http, IAuditTrail audit)
    {
        var ct = http.RequestAborted;
        var body = await FhirHttp.ReadBodyAsync(http.Request, ct);
        string? resourceType = null, bundleType = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                resourceType = doc.RootElement.TryGetProperty("resourceType", out var rt) && rt.ValueKind == JsonValueKind.String ? rt.GetString() : null;
                bundleType = doc.RootElement.TryGetProperty("type", out var bt) && bt.ValueKind == JsonValueKind.String ? bt.GetString() : null;
            }
        }
        catch (JsonException e)
        {
            throw FhirError.BadRequest($"The body is not valid JSON: {e.Message}", "structure");
        }

        // The client's text goes into the audit record only when it is a plausible resource type name.
        if (resourceType is not { Length: > 0 and <= 64 } || !resourceType.All(char.IsAsciiLetter)) resourceType = null;
        if (bundleType is not ("batch" or "transaction" or "collection" or "document" or "message" or "history" or "searchset")) bundleType = null;
        await audit.RecordAsync(new AuditEntry(AuditAction.Create, resourceType ?? "Bundle", Outcome: AuditOutcome.Failed,
            Detail: $"POST to the FHIR base refused: {(resourceType == "Bundle" ? $"{bundleType ?? "untyped"} Bundle" : resourceType ?? "no resource")}; batch/transaction is not supported."), ct);

        throw resourceType == "Bundle"
            ? new FhirException(400, [new FhirIssue("not-supported",
                $"Meridian does not process {(bundleType is "batch" or "transaction" ? $"{bundleType} " : "")}Bundles: its CapabilityStatement (/fhir/metadata) " +
                "declares no batch or transaction interaction. Nothing was stored. POST each resource to /fhir/{resourceType} instead.")])
            : new FhirException(400, [new FhirIssue("not-supported",
                "POST to the FHIR base accepts only a batch or transaction Bundle (R4 http.html#transaction), which Meridian does not support. " +
                (resourceType is { Length: > 0 } ? $"To create a {resourceType}, POST it to /fhir/{resourceType}." : "To create a resource, POST it to /fhir/{resourceType}."))]);
    }
}
