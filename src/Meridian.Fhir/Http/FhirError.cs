using System.Text.Json;
using Meridian.Fhir.Contracts;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel.Errors;
using Microsoft.AspNetCore.Http;

namespace Meridian.Fhir.Http;

/// <summary>One OperationOutcome.issue: severity, code (R4 ValueSet issue-type), diagnostics, and the element it concerns.</summary>
internal sealed record FhirIssue(string Code, string Diagnostics, string? Expression = null, string Severity = "error");

/// <summary>A failure of the FHIR surface, returned as an OperationOutcome with the given HTTP status.</summary>
internal sealed class FhirException(int status, IReadOnlyList<FhirIssue> issues)
    : MeridianException(issues.Count > 0 ? issues[0].Diagnostics : "FHIR request failed")
{
    public IReadOnlyList<FhirIssue> Issues { get; } = issues;
    public override int StatusCode => status;
}

internal static class FhirError
{
    public static FhirException BadRequest(string message, string code = "invalid") => new(400, [new FhirIssue(code, message)]);
    public static FhirException NotFound(string message) => new(404, [new FhirIssue("not-found", message)]);
    public static FhirException Gone(string message) => new(410, [new FhirIssue("deleted", message)]);

    /// <summary>Maps any failure on /fhir to the OperationOutcome a FHIR client expects (R4 http.html#Status-Codes).</summary>
    public static (int Status, IReadOnlyList<FhirIssue> Issues) From(Exception exception) => exception switch
    {
        FhirException f => (f.StatusCode, f.Issues),
        ValidationFailedException v => (400, v.Errors.SelectMany(e => e.Value.Select(m => new FhirIssue("invalid", $"{e.Key}: {m}", e.Key))).ToList()),
        NotFoundException n => (404, [new FhirIssue("not-found", n.Message)]),
        PreconditionFailedException p => (412, [new FhirIssue("conflict", p.Message)]),
        DuplicatePatientException d => (409, [new FhirIssue("duplicate", d.Message),
            .. d.Candidates.Select(c => new FhirIssue("duplicate", $"Possible duplicate: Patient/{c.Id} (MRN {c.Mrn}, {c.BirthDate:yyyy-MM-dd}): {c.Reason}", Severity: "information"))]),
        ConflictException c => (409, [new FhirIssue("conflict", c.Message)]),
        ForbiddenException f => (403, [new FhirIssue("forbidden", f.Message)]),
        FhirOperationException o => (o.StatusCode, [new FhirIssue(o.Code, o.Message, o.Expression)]),
        // A module's own 409 (e.g. scheduling's double booking) is a conflict to a FHIR client too.
        MeridianException { StatusCode: 409 } m => (409, [new FhirIssue("conflict", m.Message)]),
        MeridianException m => (m.StatusCode, [new FhirIssue("processing", m.Message)]),
        JsonException j => (400, [new FhirIssue("structure", $"The body is not valid JSON: {j.Message}")]),
        BadHttpRequestException b => (b.StatusCode, [new FhirIssue(b.StatusCode == 413 ? "too-costly" : "structure", b.Message)]),
        _ => (500, [new FhirIssue("exception", "An unexpected error occurred; it has been logged.")]),
    };

    public static byte[] OperationOutcome(IReadOnlyList<FhirIssue> issues)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "OperationOutcome");
            w.WriteStartArray("issue");
            foreach (var issue in issues)
            {
                w.WriteStartObject();
                w.WriteString("severity", issue.Severity);
                w.WriteString("code", issue.Code);
                w.WriteString("diagnostics", issue.Diagnostics);
                if (issue.Expression is { Length: > 0 } e)
                {
                    w.WriteStartArray("expression");
                    w.WriteStringValue(e);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static async Task WriteAsync(HttpContext http, int status, IReadOnlyList<FhirIssue> issues)
    {
        var body = OperationOutcome(issues);
        http.Response.StatusCode = status;
        http.Response.ContentType = FhirHttp.ContentType;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body);
    }
}
