using System.Globalization;
using System.Text.Json;
using Meridian.Fhir.Contracts;
using Meridian.Fhir.Http;
using Meridian.Fhir.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Fhir.Features;

/// <summary>
/// /fhir/{type} for the types another module owns (Schedule, Slot, Appointment; decision 0010): the HTTP side here,
/// the data, mapping and audit in the owning module's <see cref="IFhirResourceProvider"/>. The provider audits, so these
/// routes do not (one audit record per interaction).
/// </summary>
internal static class ProvidedResources
{
    private static IFhirResourceProvider Provider(HttpContext http, string type) =>
        http.RequestServices.GetRequiredKeyedService<IFhirResourceProvider>(type);

    public static async Task Read(HttpContext http, string type, string id)
    {
        if (!ReadResource.IdPattern().IsMatch(id)) throw FhirError.NotFound($"{type}/{id} does not exist (not a valid FHIR id).");
        var resource = await Provider(http, type).ReadAsync(id, http.RequestAborted) ?? throw FhirError.NotFound($"{type}/{id} does not exist.");
        await WriteAsync(http, resource, StatusCodes.Status200OK);
    }

    public static async Task Search(HttpContext http, string type)
    {
        var ct = http.RequestAborted;
        var strict = http.Request.Headers["Prefer"].ToString().Contains("handling=strict", StringComparison.OrdinalIgnoreCase);
        int count = SearchResources.DefaultCount, offset = 0;
        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in http.Request.Query)
            foreach (var value in values)
            {
                switch (key)
                {
                    case "_count":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count)) throw FhirError.BadRequest("_count must be a whole number.");
                        count = Math.Min(count, SearchResources.MaxCount);
                        continue;
                    case "_offset":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out offset)) throw FhirError.BadRequest("_offset must be a whole number.");
                        continue;
                }
                if (SearchResources.Ignorable.Contains(key)) continue;
                parameters.Add(new(key, value ?? ""));
            }
        var page = await Provider(http, type).SearchAsync(new FhirSearchRequest(parameters, offset, count, strict), ct);

        var baseUrl = FhirHttp.BaseUrl(http.Request);
        var applied = page.Applied.ToList();
        http.Response.StatusCode = 200;
        http.Response.ContentType = FhirHttp.ContentType;
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("resourceType", "Bundle");
        w.WriteString("id", Guid.NewGuid().ToString());
        w.WriteString("type", "searchset");
        w.WriteNumber("total", page.Total);
        w.WriteStartArray("link");
        SearchResources.Link(w, "self", baseUrl, type, applied, offset, count);
        SearchResources.Link(w, "first", baseUrl, type, applied, 0, count);
        if (count > 0 && offset + count < page.Total) SearchResources.Link(w, "next", baseUrl, type, applied, offset + count, count);
        if (offset > 0 && count > 0) SearchResources.Link(w, "previous", baseUrl, type, applied, Math.Max(0, offset - count), count);
        if (count > 0 && page.Total > 0) SearchResources.Link(w, "last", baseUrl, type, applied, (page.Total - 1) / count * count, count);
        w.WriteEndArray();
        if (page.Resources.Count > 0 || page.Notes.Count > 0)
        {
            w.WriteStartArray("entry");
            foreach (var r in page.Resources)
            {
                w.WriteStartObject();
                w.WriteString("fullUrl", $"{baseUrl}/{type}/{r.Id}");
                w.WritePropertyName("resource");
                w.WriteRawValue(r.Json, skipInputValidation: true);
                w.WriteStartObject("search");
                w.WriteString("mode", "match");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            // R4 search.html#errors: what the server did with the search (a default or limited range) travels as an
            // OperationOutcome entry with search.mode = outcome.
            if (page.Notes.Count > 0)
            {
                w.WriteStartObject();
                w.WritePropertyName("resource");
                w.WriteRawValue(FhirError.OperationOutcome(page.Notes.Select(n => new FhirIssue("informational", n, Severity: "information")).ToList()),
                    skipInputValidation: true);
                w.WriteStartObject("search");
                w.WriteString("mode", "outcome");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        await w.FlushAsync(ct);
    }

    public static async Task Create(HttpContext http, string type)
    {
        var ct = http.RequestAborted;
        var body = await FhirHttp.ReadBodyAsync(http.Request, ct);
        using var doc = WriteResource.ParseBody(body);
        ResourceValidator.ThrowIfInvalid(doc.RootElement, type);
        var created = await Provider(http, type).CreateAsync(doc.RootElement, ct);
        http.Response.Headers.Location = $"{FhirHttp.BaseUrl(http.Request)}/{type}/{created.Id}";
        await WriteAsync(http, created, StatusCodes.Status201Created);
    }

    public static async Task Update(HttpContext http, string type, string id)
    {
        var ct = http.RequestAborted;
        var expected = FhirHttp.IfMatch(http.Request);
        var body = await FhirHttp.ReadBodyAsync(http.Request, ct);
        using var doc = WriteResource.ParseBody(body);
        var resource = doc.RootElement;
        ResourceValidator.ThrowIfInvalid(resource, type);
        // R4 http.html#update: the body SHALL carry an id equal to the one in the URL.
        var bodyId = resource.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
        if (bodyId is null) throw FhirError.BadRequest("An update must carry the resource id in the body.", "required");
        if (bodyId != id) throw FhirError.BadRequest($"The body's id '{bodyId}' does not match the URL's id '{id}'.");
        if (!ReadResource.IdPattern().IsMatch(id)) throw FhirError.BadRequest($"'{id}' is not a valid FHIR id.");
        var updated = await Provider(http, type).UpdateAsync(id, resource, expected, ct);
        await WriteAsync(http, updated, StatusCodes.Status200OK);
    }

    private static async Task WriteAsync(HttpContext http, FhirResource resource, int status)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = FhirHttp.ContentType;
        if (resource.VersionId is { } version) response.Headers.ETag = FhirHttp.ETag(version);
        if (resource.LastUpdated is { } changed) response.Headers.LastModified = changed.ToString("R", CultureInfo.InvariantCulture);
        response.ContentLength = resource.Json.Length;
        await response.Body.WriteAsync(resource.Json, http.RequestAborted);
    }
}
