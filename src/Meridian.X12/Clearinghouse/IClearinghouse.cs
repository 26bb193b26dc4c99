namespace Meridian.X12.Clearinghouse;

/// <summary>
/// Sends X12 requests to a clearinghouse and returns what came back. Adapters never throw for transport trouble: a
/// timeout, a refused connection, an HTTP error or an envelope-level rejection comes back as
/// <see cref="ClearinghouseExchange.Error"/>, so callers can record the attempt. Cancellation by the caller still throws.
/// </summary>
public interface IClearinghouse
{
    string Name { get; }

    /// <summary>Sends one 270 interchange in real time and returns the raw answer (a 271, or a 999/TA1 when it was refused).</summary>
    Task<ClearinghouseExchange> SendEligibilityAsync(string request270, CancellationToken ct);
}

public enum ClearinghouseErrorKind
{
    /// <summary>No answer within the configured time.</summary>
    Timeout,

    /// <summary>The endpoint could not be reached (DNS, refused connection, TLS, connection reset).</summary>
    ConnectionFailed,

    /// <summary>The endpoint refused the credentials (HTTP 401 or 403).</summary>
    Unauthorized,

    /// <summary>Another non-success HTTP status.</summary>
    HttpStatus,

    /// <summary>An answer came back but is not a usable envelope (not CORE multipart, no payload, unexpected payload type).</summary>
    InvalidResponse,

    /// <summary>The clearinghouse answered with an error instead of a payload (a CORE ErrorCode other than Success, or an unreadable request).</summary>
    Rejected,
}

/// <param name="HttpStatusCode">Set for <see cref="ClearinghouseErrorKind.HttpStatus"/> and <see cref="ClearinghouseErrorKind.Unauthorized"/>.</param>
/// <param name="CoreErrorCode">The CORE envelope ErrorCode, for <see cref="ClearinghouseErrorKind.Rejected"/>.</param>
public sealed record ClearinghouseError(ClearinghouseErrorKind Kind, string Message, int? HttpStatusCode = null, string? CoreErrorCode = null)
{
    /// <summary>Worth retrying later without changing the request: timeouts, connection failures, 5xx and 429.</summary>
    public bool IsTransient => Kind is ClearinghouseErrorKind.Timeout or ClearinghouseErrorKind.ConnectionFailed
                               || (Kind == ClearinghouseErrorKind.HttpStatus && HttpStatusCode is >= 500 or 429);
}

/// <summary>One request and what came back, with timing.</summary>
/// <param name="Response">The raw X12 answer (271, 999 or TA1); null when <paramref name="Error"/> is set.</param>
/// <param name="SentAt">When the request left (UTC, from the adapter's TimeProvider).</param>
/// <param name="PayloadId">The CORE PayloadID of the request, when the transport has one.</param>
public sealed record ClearinghouseExchange(
    string Clearinghouse,
    string Request,
    string? Response,
    DateTimeOffset SentAt,
    TimeSpan Elapsed,
    ClearinghouseError? Error,
    string? PayloadId = null)
{
    public bool Succeeded => Error is null && Response is not null;
}
