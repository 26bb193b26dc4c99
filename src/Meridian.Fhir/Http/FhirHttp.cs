using System.Globalization;
using Meridian.Fhir.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meridian.Fhir.Http;

internal static class FhirHttp
{
    public const string ContentType = "application/fhir+json; charset=utf-8";
    /// <summary>Largest request body accepted on /fhir. A patient with many names and addresses is a few KB.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/fhir";

    public static string ETag(int version) => $"W/\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Parses If-Match: W/"3" or "3" (R4 http.html#concurrency). Null when absent.</summary>
    public static int? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0) return null;
        var text = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        text = text.Trim('"');
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0) return version;
        throw FhirError.BadRequest($"If-Match '{header}' is not a version ETag such as W/\"1\".");
    }

    /// <summary>Streams stored bytes as they are: no parse, no re-serialization.</summary>
    public static async Task WriteResourceAsync(HttpContext http, StoredVersion stored, int status = 200)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.ETag = ETag(stored.VersionId);
        response.Headers.LastModified = stored.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
        response.ContentLength = stored.Json.Length;
        await response.Body.WriteAsync(stored.Json, http.RequestAborted);
    }

    public static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
            throw new FhirException(413, [new FhirIssue("too-costly", $"The request body exceeds {MaxBodyBytes} bytes.")]);
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (mediaType is not ("application/fhir+json" or "application/json" or "application/json+fhir"))
            throw new FhirException(415, [new FhirIssue("not-supported", "Send the resource as application/fhir+json.")]);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                throw new FhirException(413, [new FhirIssue("too-costly", $"The request body exceeds {MaxBodyBytes} bytes.")]);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw FhirError.BadRequest("The request has no body; send a FHIR resource.", "required");
        return buffer.ToArray();
    }

    /// <summary>Endpoint filter for the /fhir group: every failure becomes an OperationOutcome.</summary>
    public static async ValueTask<object?> OperationOutcomeFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            var (status, issues) = FhirError.From(ex);
            if (status >= 500)
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Meridian.Fhir")
                    .LogError(ex, "FHIR request failed");
            if (context.HttpContext.Response.HasStarted) throw;
            context.HttpContext.Response.Clear();
            await FhirError.WriteAsync(context.HttpContext, status, issues);
            return Results.Empty;
        }
    }
}
