using System.Globalization;
using System.Text;
using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Http;
using Meridian.Fhir.Search;
using Meridian.Fhir.Store;
using Microsoft.AspNetCore.Http;

namespace Meridian.Fhir.Features;

/// <summary>
/// GET /fhir/{type}?params: the parameters become EXISTS subqueries over the index tables; the page of matches is
/// streamed into a searchset Bundle from the stored bytes. Unknown parameters are ignored (and left out of the self
/// link) unless the client sends Prefer: handling=strict (R4 search.html#errors).
/// </summary>
internal static class SearchResources
{
    public const int DefaultCount = 20;
    public const int MaxCount = 1000;
    internal static readonly HashSet<string> Ignorable = ["_format", "_pretty", "_elements", "_summary", "_total"];

    internal sealed record ParsedSearch(SqlSearch Sql, int Offset, int Count, List<KeyValuePair<string, string>> Applied, string? PatientId);

    public static ParsedSearch Parse(string type, IQueryCollection query, bool strict, FhirStore store)
    {
        var builder = store.NewSearch(type);
        var applied = new List<KeyValuePair<string, string>>();
        int count = DefaultCount, offset = 0;
        string? patientId = null;
        foreach (var (key, values) in query)
        {
            var colon = key.IndexOf(':');
            var name = colon < 0 ? key : key[..colon];
            var modifier = colon < 0 ? null : key[(colon + 1)..];
            foreach (var raw in values)
            {
                var value = raw ?? "";
                switch (name)
                {
                    case "_count":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count))
                            throw FhirError.BadRequest("_count must be a whole number.");
                        count = Math.Min(count, MaxCount);
                        continue;
                    case "_offset":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
                            throw FhirError.BadRequest("_offset must be a whole number.");
                        continue;
                }
                if (Ignorable.Contains(name)) continue;
                var parts = value.Split(',').Where(v => v.Length > 0).ToList();
                if (parts.Count == 0)
                {
                    if (strict) throw FhirError.BadRequest($"Search parameter '{key}' has no value.");
                    continue;
                }
                if (name == "_id")
                {
                    if (modifier is not null) throw FhirError.BadRequest("_id takes no modifier.");
                    builder.AddId(parts);
                }
                else if (SearchParameters.Find(type, name) is { } p)
                {
                    switch (p.Type)
                    {
                        case SearchParamType.String: builder.AddString(name, modifier, parts); break;
                        case SearchParamType.Token: builder.AddToken(name, modifier, parts); break;
                        case SearchParamType.Date: builder.AddDate(name, modifier, parts); break;
                        case SearchParamType.Reference:
                            builder.AddReference(name, modifier, parts, p.Targets ?? []);
                            if (name is "patient" or "beneficiary" && parts.Count == 1) patientId = ReferenceValue.Parse(parts[0])?.Id;
                            break;
                    }
                }
                else
                {
                    if (strict) throw FhirError.BadRequest($"Search parameter '{name}' is not supported for {type}.", "not-supported");
                    continue;
                }
                applied.Add(new(key, value));
            }
        }
        if (type == "Patient" && patientId is null && applied.Count == 1 && applied[0].Key == "_id" && !applied[0].Value.Contains(','))
            patientId = applied[0].Value;
        return new ParsedSearch(builder.Build(), offset, count, applied, patientId);
    }

    public static async Task Search(HttpContext http, string type, FhirStore store, IAuditTrail audit)
    {
        var ct = http.RequestAborted;
        var strict = http.Request.Headers["Prefer"].ToString().Contains("handling=strict", StringComparison.OrdinalIgnoreCase);
        var search = Parse(type, http.Request.Query, strict, store);
        var (resources, total) = await store.SearchAsync(search.Sql, search.Offset, search.Count, ct);

        // One audit record per patient whose data is returned, so the patient's access report lists this search.
        var entries = new List<AuditEntry>();
        var detail = Truncate(http.Request.QueryString.Value);
        foreach (var json in resources)
        {
            using var doc = JsonDocument.Parse(json);
            var id = doc.RootElement.GetProperty("id").GetString()!;
            var patient = type switch
            {
                "Patient" => id,
                "Coverage" => PatientLink.Of("beneficiary", doc.RootElement),
                "RelatedPerson" => PatientLink.Of("patient", doc.RootElement),
                _ => null,
            };
            if (patient is not null) entries.Add(new AuditEntry(AuditAction.Search, type, id, patient, Detail: detail));
        }
        if (entries.Count == 0) entries.Add(new AuditEntry(AuditAction.Search, type, PatientId: search.PatientId, Detail: detail));
        await audit.RecordManyAsync(entries, null, ct);

        var baseUrl = FhirHttp.BaseUrl(http.Request);
        http.Response.StatusCode = 200;
        http.Response.ContentType = FhirHttp.ContentType;
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("resourceType", "Bundle");
        w.WriteString("id", Guid.NewGuid().ToString());
        w.WriteString("type", "searchset");
        w.WriteNumber("total", total);
        w.WriteStartArray("link");
        Link(w, "self", baseUrl, type, search.Applied, search.Offset, search.Count);
        Link(w, "first", baseUrl, type, search.Applied, 0, search.Count);
        if (search.Count > 0 && search.Offset + search.Count < total)
            Link(w, "next", baseUrl, type, search.Applied, search.Offset + search.Count, search.Count);
        if (search.Offset > 0 && search.Count > 0)
            Link(w, "previous", baseUrl, type, search.Applied, Math.Max(0, search.Offset - search.Count), search.Count);
        if (search.Count > 0 && total > 0)
            Link(w, "last", baseUrl, type, search.Applied, (total - 1) / search.Count * search.Count, search.Count);
        w.WriteEndArray();
        if (resources.Count > 0)
        {
            w.WriteStartArray("entry");
            foreach (var json in resources)
            {
                using var doc = JsonDocument.Parse(json);
                w.WriteStartObject();
                w.WriteString("fullUrl", $"{baseUrl}/{type}/{doc.RootElement.GetProperty("id").GetString()}");
                w.WritePropertyName("resource");
                w.WriteRawValue(json, skipInputValidation: true);
                w.WriteStartObject("search");
                w.WriteString("mode", "match");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        await w.FlushAsync(ct);
    }

    internal static void Link(Utf8JsonWriter w, string relation, string baseUrl, string type, List<KeyValuePair<string, string>> applied, int offset, int count)
    {
        var sb = new StringBuilder(baseUrl).Append('/').Append(type).Append('?');
        foreach (var (k, v) in applied) sb.Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v)).Append('&');
        sb.Append("_count=").Append(count.ToString(CultureInfo.InvariantCulture));
        if (offset > 0) sb.Append("&_offset=").Append(offset.ToString(CultureInfo.InvariantCulture));
        w.WriteStartObject();
        w.WriteString("relation", relation);
        w.WriteString("url", sb.ToString());
        w.WriteEndObject();
    }

    private static string? Truncate(string? s) => s is { Length: > 1000 } ? s[..1000] : s;
}
