using Meridian.SharedKernel.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Meridian.Web.Infrastructure;

/// <summary>
/// Maps failures to RFC 9457 ProblemDetails for everything outside /fhir (the FHIR module answers with OperationOutcome).
/// Known, caller-correctable failures keep their message; anything else is a 500 that reveals nothing internal.
/// </summary>
internal sealed class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (http.Request.Path.StartsWithSegments("/fhir")) return false;
        var details = exception switch
        {
            ValidationFailedException v => new ValidationProblemDetails(v.Errors.ToDictionary(e => e.Key, e => e.Value))
            {
                Status = 400, Title = "The request has invalid values.", Detail = v.Message,
            },
            MeridianException m => new ProblemDetails { Status = m.StatusCode, Title = TitleFor(m.StatusCode), Detail = m.Message },
            BadHttpRequestException b => new ProblemDetails
            {
                Status = b.StatusCode, Title = "The request could not be read.",
                Detail = b.InnerException is System.Text.Json.JsonException j ? $"Malformed JSON: {j.Message}" : b.Message,
            },
            _ => null,
        };
        if (details is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            details = new ProblemDetails { Status = 500, Title = "An unexpected error occurred.", Detail = "The error was logged; nothing was saved." };
        }
        if (exception is MeridianException { Extensions: { } extensions })
            foreach (var (key, value) in extensions) details.Extensions[key] = value;
        http.Response.StatusCode = details.Status ?? 500;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = details, Exception = exception });
    }

    private static string TitleFor(int status) => status switch
    {
        403 => "You do not have permission to do this.",
        404 => "Not found.",
        409 => "The request conflicts with the current state.",
        412 => "The record was changed by someone else.",
        _ => "The request could not be completed.",
    };
}
