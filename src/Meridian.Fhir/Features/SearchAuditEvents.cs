using System.Globalization;
using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Fhir.Http;
using Meridian.Fhir.Search;
using Microsoft.AspNetCore.Http;

namespace Meridian.Fhir.Features;

/// <summary>
/// GET /fhir/AuditEvent: the audit trail as FHIR R4 AuditEvent resources, for clients with system access
/// (permission audit.read). Records are mapped on the fly from the audit module; they are never stored twice.
/// </summary>
internal static class SearchAuditEvents
{
    public static async Task Search(HttpContext http, IAuditReader reader, IAuditTrail audit)
    {
        var ct = http.RequestAborted;
        var q = http.Request.Query;
        var count = Int(q["_count"], SearchResources.DefaultCount, "_count");
        count = Math.Clamp(count, 1, SearchResources.MaxCount);
        var offset = Int(q["_offset"], 0, "_offset");
        string? patient = q["patient"].ToString() is { Length: > 0 } p ? ReferenceValue.Parse(p)?.Id : null;
        string? user = q["agent"].ToString() is { Length: > 0 } a ? ReferenceValue.Parse(a)?.Id ?? a : q["user"].ToString() is { Length: > 0 } u ? u : null;
        string? action = q["subtype"].ToString() is { Length: > 0 } s ? s : q["action"].ToString() is { Length: > 0 } ac ? ac : null;
        if (action is not null && action.Contains('|')) action = action[(action.IndexOf('|') + 1)..];
        string? resourceType = q["entity-type"].ToString() is { Length: > 0 } et ? et : null;
        DateTimeOffset? from = null, to = null;
        foreach (var raw in q["date"])
        {
            if (string.IsNullOrEmpty(raw)) continue;
            var prefix = raw.Length > 2 && char.IsAsciiLetterLower(raw[0]) ? raw[..2] : "eq";
            var text = raw.Length > 2 && char.IsAsciiLetterLower(raw[0]) ? raw[2..] : raw;
            var range = FhirDateRange.Parse(text) ?? throw FhirError.BadRequest($"'{text}' is not a FHIR date or dateTime.");
            var low = new DateTimeOffset(range.Low, TimeSpan.Zero);
            var afterHigh = new DateTimeOffset(Math.Min(range.High + 1, DateTime.MaxValue.Ticks), TimeSpan.Zero);
            switch (prefix)
            {
                case "eq": from = Max(from, low); to = Min(to, afterHigh); break;
                case "ge": from = Max(from, low); break;
                case "gt" or "sa": from = Max(from, afterHigh); break;
                case "le": to = Min(to, afterHigh); break;
                case "lt" or "eb": to = Min(to, low); break;
                default: throw FhirError.BadRequest($"Prefix '{prefix}' is not supported on AuditEvent date (eq, ge, gt, le, lt, sa, eb).");
            }
        }
        var query = new AuditQuery(patient, user, action, from, to, resourceType, "-time", offset, count);
        var (items, total) = await reader.SearchAsync(query, ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "AuditEvent", PatientId: patient, Detail: http.Request.QueryString.Value), ct);

        var baseUrl = FhirHttp.BaseUrl(http.Request);
        http.Response.ContentType = FhirHttp.ContentType;
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("resourceType", "Bundle");
        w.WriteString("type", "searchset");
        w.WriteNumber("total", total);
        var filters = string.Join("", q.Where(kv => kv.Key is not ("_count" or "_offset"))
            .SelectMany(kv => kv.Value.Select(v => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(v ?? "")}&")));
        w.WriteStartArray("link");
        LinkTo(w, "self", $"{baseUrl}/AuditEvent?{filters}_count={count}&_offset={offset}");
        if (offset + count < total) LinkTo(w, "next", $"{baseUrl}/AuditEvent?{filters}_count={count}&_offset={offset + count}");
        if (offset > 0) LinkTo(w, "previous", $"{baseUrl}/AuditEvent?{filters}_count={count}&_offset={Math.Max(0, offset - count)}");
        w.WriteEndArray();
        if (items.Count > 0)
        {
            w.WriteStartArray("entry");
            foreach (var r in items)
            {
                w.WriteStartObject();
                w.WriteString("fullUrl", $"{baseUrl}/AuditEvent/{r.Sequence}");
                w.WritePropertyName("resource");
                Write(w, r);
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

    /// <summary>One audit record as an R4 AuditEvent (type rest, subtype = Meridian action, action C/R/U/D/E, outcome 0/4/8).</summary>
    internal static void Write(Utf8JsonWriter w, AuditRecordView r)
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "AuditEvent");
        w.WriteString("id", r.Sequence.ToString(CultureInfo.InvariantCulture));
        w.WriteStartObject("type");
        w.WriteString("system", "http://terminology.hl7.org/CodeSystem/audit-event-type");
        w.WriteString("code", r.Action is "SignIn" or "SignInFailed" or "SignOut" or "TokenIssued" or "TokenDenied" or "PrivilegeChange" ? "110114" : "rest");
        w.WriteEndObject();
        w.WriteStartArray("subtype");
        w.WriteStartObject();
        w.WriteString("system", "urn:meridian:audit-action");
        w.WriteString("code", r.Action);
        w.WriteEndObject();
        w.WriteEndArray();
        var action = r.Action switch
        {
            "Create" => "C",
            "Read" or "Search" or "Export" or "Print" => "R",
            "Update" or "Merge" => "U",
            "Delete" => "D",
            _ => "E",
        };
        w.WriteString("action", action);
        w.WriteString("recorded", r.OccurredAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture));
        w.WriteString("outcome", r.Outcome switch { "Success" => "0", "Denied" => "4", _ => "8" });
        w.WriteStartArray("agent");
        w.WriteStartObject();
        if (r.Role is { Length: > 0 } role)
        {
            w.WriteStartObject("type");
            w.WriteString("text", role);
            w.WriteEndObject();
        }
        var who = r.UserName ?? r.UserId ?? r.ClientId;
        if (who is not null)
        {
            w.WriteStartObject("who");
            w.WriteStartObject("identifier");
            w.WriteString("value", r.UserId ?? r.ClientId ?? who);
            w.WriteEndObject();
            w.WriteString("display", who);
            w.WriteEndObject();
        }
        if (r.ClientId is { Length: > 0 } client && r.UserId is not null) w.WriteString("altId", client);
        w.WriteBoolean("requestor", true);
        if (r.SourceAddress is { Length: > 0 } address)
        {
            w.WriteStartObject("network");
            w.WriteString("address", address);
            w.WriteString("type", "2");
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("source");
        w.WriteStartObject("observer");
        w.WriteString("display", "Meridian");
        w.WriteEndObject();
        w.WriteEndObject();
        var entities = new List<(string? Reference, string Display)>();
        if (r.PatientId is { Length: > 0 } pid) entities.Add(($"Patient/{pid}", "patient"));
        if (r.ResourceId is { Length: > 0 } rid && !(r.ResourceType == "Patient" && rid == r.PatientId))
            entities.Add((ReadResource.IdPattern().IsMatch(rid) ? $"{r.ResourceType}/{rid}" : null, r.ResourceType));
        else if (r.ResourceId is null) entities.Add((null, r.ResourceType));
        if (entities.Count > 0)
        {
            w.WriteStartArray("entity");
            foreach (var (reference, display) in entities)
            {
                w.WriteStartObject();
                w.WriteStartObject("what");
                if (reference is not null) w.WriteString("reference", reference);
                w.WriteString("display", display);
                w.WriteEndObject();
                if (r.Detail is { Length: > 0 } detail && reference is null || (reference is not null && display != "patient" && r.Detail is { Length: > 0 }))
                    w.WriteString("description", r.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void LinkTo(Utf8JsonWriter w, string relation, string url)
    {
        w.WriteStartObject();
        w.WriteString("relation", relation);
        w.WriteString("url", url);
        w.WriteEndObject();
    }

    private static int Int(string? text, int fallback, string name) =>
        string.IsNullOrEmpty(text) ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw FhirError.BadRequest($"{name} must be a whole number.");

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
