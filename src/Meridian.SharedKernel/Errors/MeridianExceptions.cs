namespace Meridian.SharedKernel.Errors;

/// <summary>
/// Failures a caller can correct. The host maps each to one HTTP status in one place
/// (ProblemDetails on /api, OperationOutcome on /fhir), so handlers throw and never format responses.
/// </summary>
public abstract class MeridianException(string message) : Exception(message)
{
    public abstract int StatusCode { get; }

    /// <summary>Extra members for the error body (ProblemDetails extensions), e.g. the candidate records of a duplicate.</summary>
    public virtual IReadOnlyDictionary<string, object?>? Extensions => null;
}

/// <summary>400/422: the request is well-formed but its values break a rule. Field name → messages.</summary>
public sealed class ValidationFailedException(IReadOnlyDictionary<string, string[]> errors, string? message = null)
    : MeridianException(message ?? "One or more values are invalid.")
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
    public override int StatusCode => 400;

    public static ValidationFailedException For(string field, string error) =>
        new(new Dictionary<string, string[]> { [field] = [error] });
}

public sealed class NotFoundException(string message) : MeridianException(message)
{
    public override int StatusCode => 404;
}

/// <summary>409: the request conflicts with current state (duplicate, double booking, already merged…).</summary>
public sealed class ConflictException(string message) : MeridianException(message)
{
    public override int StatusCode => 409;
}

/// <summary>412: optimistic concurrency; the client's version (If-Match / row version) is stale.</summary>
public sealed class PreconditionFailedException(string message) : MeridianException(message)
{
    public override int StatusCode => 412;
}

public sealed class ForbiddenException(string message) : MeridianException(message)
{
    public override int StatusCode => 403;
}
