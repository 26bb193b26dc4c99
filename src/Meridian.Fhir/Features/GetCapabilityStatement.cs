using System.Text.Json;
using Meridian.Fhir.Contracts;
using Meridian.Fhir.Http;
using Microsoft.Extensions.DependencyInjection;
using Meridian.Fhir.Search;
using Microsoft.AspNetCore.Http;

namespace Meridian.Fhir.Features;

/// <summary>
/// GET /fhir/metadata: what this server actually does, generated from the same declarations the endpoints and the
/// search index use, so it cannot drift from the implementation. Open to anyone (R4 http.html#capabilities), as
/// clients need it to discover the SMART endpoints before they hold a token.
/// </summary>
internal static class GetCapabilityStatement
{
    public static readonly string[] Interactions = ["read", "vread", "update", "create", "search-type"];

    public static async Task Get(HttpContext http, TimeProvider time)
    {
        var baseUrl = FhirHttp.BaseUrl(http.Request);
        var root = baseUrl[..^"/fhir".Length];
        http.Response.ContentType = FhirHttp.ContentType;
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("resourceType", "CapabilityStatement");
        w.WriteString("status", "active");
        w.WriteString("date", Mapping.FhirJson.Instant(time.GetUtcNow()));
        w.WriteString("publisher", "Meridian");
        w.WriteString("kind", "instance");
        w.WriteStartObject("software");
        w.WriteString("name", "Meridian");
        w.WriteEndObject();
        w.WriteStartObject("implementation");
        w.WriteString("description", "Meridian EHR FHIR R4 API");
        w.WriteString("url", baseUrl);
        w.WriteEndObject();
        w.WriteString("fhirVersion", "4.0.1");
        w.WriteStartArray("format");
        w.WriteStringValue("application/fhir+json");
        w.WriteStringValue("json");
        w.WriteEndArray();
        w.WriteStartArray("implementationGuide");
        w.WriteStringValue("http://hl7.org/fhir/us/core/ImplementationGuide/hl7.fhir.us.core|6.1.0");
        w.WriteEndArray();
        w.WriteStartArray("rest");
        w.WriteStartObject();
        w.WriteString("mode", "server");
        w.WriteStartObject("security");
        w.WriteStartArray("extension");
        w.WriteStartObject();
        w.WriteString("url", "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        w.WriteStartArray("extension");
        w.WriteStartObject();
        w.WriteString("url", "token");
        w.WriteString("valueUri", $"{root}/oauth/token");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("service");
        w.WriteStartObject();
        w.WriteStartArray("coding");
        w.WriteStartObject();
        w.WriteString("system", "http://terminology.hl7.org/CodeSystem/restful-security-service");
        w.WriteString("code", "SMART-on-FHIR");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("description", $"OAuth 2.0 bearer tokens (client_credentials with SMART v2 system scopes); discovery at {root}/.well-known/smart-configuration.");
        w.WriteEndObject();
        w.WriteStartArray("resource");
        foreach (var (type, parameters) in SearchParameters.ByType.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            if (type == "Patient") Profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient");
            if (type == "Coverage") Profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage");
            w.WriteStartArray("interaction");
            foreach (var i in Interactions)
            {
                w.WriteStartObject();
                w.WriteString("code", i);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("versioning", "versioned-update");
            w.WriteBoolean("readHistory", true);
            // Patient and Coverage ids are assigned by the Patients module; the FHIR-native types accept client ids.
            w.WriteBoolean("updateCreate", type is not ("Patient" or "Coverage"));
            w.WriteBoolean("conditionalCreate", false);
            w.WriteBoolean("conditionalUpdate", false);
            w.WriteString("conditionalDelete", "not-supported");
            w.WriteStartArray("searchParam");
            Param(w, "_id", "token", "Logical id of the resource");
            foreach (var p in parameters.Values)
                Param(w, p.Name, p.Type.ToString().ToLowerInvariant(), p.Expression);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        foreach (var provided in http.RequestServices.GetServices<FhirProvidedType>().OrderBy(t => t.ResourceType, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("type", provided.ResourceType);
            if (provided.Profile is { } profile) Profile(w, profile);
            w.WriteStartArray("interaction");
            foreach (var i in new[] { "read", provided.Update ? "update" : null, provided.Create ? "create" : null, "search-type" }.OfType<string>())
            {
                w.WriteStartObject();
                w.WriteString("code", i);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            // Computed from the scheduling module's data: no version history is kept for them here (no vread).
            w.WriteString("versioning", "versioned");
            w.WriteBoolean("readHistory", false);
            w.WriteBoolean("updateCreate", false);
            w.WriteBoolean("conditionalCreate", false);
            w.WriteBoolean("conditionalUpdate", false);
            w.WriteString("conditionalDelete", "not-supported");
            w.WriteStartArray("searchParam");
            foreach (var p in provided.SearchParams) Param(w, p.Name, p.Type, p.Documentation);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteStartObject();
        w.WriteString("type", "AuditEvent");
        w.WriteStartArray("interaction");
        w.WriteStartObject();
        w.WriteString("code", "search-type");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("searchParam");
        Param(w, "patient", "reference", "AuditEvent.entity.what.where(resolve() is Patient)");
        Param(w, "agent", "reference", "AuditEvent.agent.who (user id, user name or client id)");
        Param(w, "date", "date", "AuditEvent.recorded");
        Param(w, "subtype", "token", "AuditEvent.subtype (Meridian audit action)");
        Param(w, "entity-type", "token", "AuditEvent.entity.what (resource type)");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted);
    }

    private static void Profile(Utf8JsonWriter w, string url)
    {
        w.WriteString("profile", url);
        w.WriteStartArray("supportedProfile");
        w.WriteStringValue(url);
        w.WriteEndArray();
    }

    private static void Param(Utf8JsonWriter w, string name, string type, string documentation)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("type", type);
        w.WriteString("documentation", documentation);
        w.WriteEndObject();
    }
}
