using System.Globalization;
using System.Text.Json;
using Meridian.Fhir.Mapping;

namespace Meridian.Fhir.Store;

/// <summary>Sets the server-owned parts of a FHIR-native resource (id, meta.versionId, meta.lastUpdated) on write.</summary>
internal static class ResourceStamp
{
    public static byte[] Apply(JsonElement resource, string type, string id, int version, DateTime lastUpdated) => FhirJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("resourceType", type);
        w.WriteString("id", id);
        w.WriteStartObject("meta");
        w.WriteString("versionId", version.ToString(CultureInfo.InvariantCulture));
        w.WriteString("lastUpdated", FhirJson.Instant(new DateTimeOffset(lastUpdated, TimeSpan.Zero)));
        if (resource.TryGetProperty("meta", out var meta))
            foreach (var p in meta.EnumerateObject())
                if (p.Name is not ("versionId" or "lastUpdated")) p.WriteTo(w);
        w.WriteEndObject();
        foreach (var p in resource.EnumerateObject())
            if (p.Name is not ("resourceType" or "id" or "meta")) p.WriteTo(w);
        w.WriteEndObject();
    });
}
