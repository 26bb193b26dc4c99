using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Http;
using Meridian.Fhir.Search;
using Meridian.Fhir.Store;
using Microsoft.AspNetCore.Http;

namespace Meridian.Fhir.Features;

/// <summary>GET /fhir/{type}/{id} and /_history/{vid}: one primary-key lookup, an audit record, then the stored bytes as they are.</summary>
internal static partial class ReadResource
{
    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    internal static partial Regex IdPattern();

    public static async Task Read(HttpContext http, string type, string id, FhirStore store, IAuditTrail audit)
    {
        var ct = http.RequestAborted;
        if (!IdPattern().IsMatch(id)) throw FhirError.NotFound($"{type}/{id} does not exist (not a valid FHIR id).");
        var stored = await store.ReadAsync(type, id, ct) ?? throw FhirError.NotFound($"{type}/{id} does not exist.");
        if (stored.Deleted) throw FhirError.Gone($"{type}/{id} was deleted.");
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, type, id, PatientLink.Of(type, id, stored.Json)), ct);
        await FhirHttp.WriteResourceAsync(http, stored);
    }

    public static async Task ReadVersion(HttpContext http, string type, string id, int vid, FhirStore store, IAuditTrail audit)
    {
        var ct = http.RequestAborted;
        if (!IdPattern().IsMatch(id)) throw FhirError.NotFound($"{type}/{id} does not exist (not a valid FHIR id).");
        var stored = await store.ReadVersionAsync(type, id, vid, ct) ?? throw FhirError.NotFound($"{type}/{id}/_history/{vid} does not exist.");
        await audit.RecordAsync(new AuditEntry(AuditAction.Read, type, id, PatientLink.Of(type, id, stored.Json), Detail: $"version {vid}"), ct);
        await FhirHttp.WriteResourceAsync(http, stored);
    }
}

/// <summary>The patient a resource is about, for the audit trail (the resource itself, or its beneficiary/patient reference).</summary>
internal static class PatientLink
{
    public static string? Of(string type, string id, byte[] json)
    {
        if (type == "Patient") return id;
        var path = type switch
        {
            "Coverage" => "beneficiary",
            "RelatedPerson" => "patient",
            _ => null,
        };
        if (path is null) return null;
        using var doc = JsonDocument.Parse(json);
        return Of(path, doc.RootElement);
    }

    public static string? Of(string path, JsonElement resource) =>
        resource.TryGetProperty(path, out var reference) && Json.Str(reference, "reference") is { } text
            && ReferenceValue.Parse(text) is { Type: "Patient" or null } r ? r.Id : null;
}
