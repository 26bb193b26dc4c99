using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Meridian.SharedKernel;
using Microsoft.AspNetCore.WebUtilities;

namespace Meridian.X12.Clearinghouse;

/// <summary>Where and how to reach a clearinghouse's CAQH CORE real-time endpoint.</summary>
public sealed class CoreHttpClearinghouseOptions
{
    public string Name { get; set; } = "CORE HTTP clearinghouse";

    /// <summary>The real-time URL, e.g. https://clearinghouse.example/core/realtime.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>HTTP basic authentication (CORE's username/password submitter authentication).</summary>
    public string Username { get; set; } = "";

    public string Password { get; set; } = "";

    /// <summary>CORE SenderID: the submitter's id as the clearinghouse knows it.</summary>
    public string SenderId { get; set; } = "";

    /// <summary>CORE ReceiverID: the clearinghouse's (or payer's) id.</summary>
    public string ReceiverId { get; set; } = "";

    /// <summary>CAQH CORE expects a real-time eligibility answer within 20 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);

    internal void Validate()
    {
        var problems = new List<string>();
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("https" or "http")) problems.Add("Endpoint must be an absolute http(s) URL");
        if (string.IsNullOrEmpty(Username)) problems.Add("Username is required");
        if (string.IsNullOrEmpty(SenderId)) problems.Add("SenderId is required");
        if (string.IsNullOrEmpty(ReceiverId)) problems.Add("ReceiverId is required");
        if (Timeout <= TimeSpan.Zero) problems.Add("Timeout must be positive");
        if (problems.Count > 0) throw new InvalidOperationException("CORE HTTP clearinghouse settings: " + string.Join("; ", problems) + ".");
    }
}

/// <summary>
/// Real-time X12 over HTTP the way CAQH CORE Phase II connectivity (rule 270, v2.2.0) describes its HTTP MIME envelope:
/// a multipart/form-data POST with the metadata fields ProcessingMode, PayloadType, PayloadID, TimeStamp, SenderID,
/// ReceiverID, CORERuleVersion and the X12 Payload, authenticated with HTTP basic auth; the answer is a multipart body
/// with the same fields plus ErrorCode and ErrorMessage. (The SOAP+WSDL variant and X.509 authentication are not done.)
/// </summary>
public sealed class CoreHttpClearinghouse : IClearinghouse
{
    public const string RequestPayloadType = "X12_270_Request_005010X279A1";

    /// <summary>The answer payload types a real-time 270 can get back.</summary>
    public static readonly IReadOnlySet<string> ResponsePayloadTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "X12_271_Response_005010X279A1",
        "X12_999_Response_005010X231A1",
        "X12_TA1_Response_00501X231A1",
    };

    private readonly HttpClient _http;
    private readonly CoreHttpClearinghouseOptions _options;
    private readonly TimeProvider _time;

    public CoreHttpClearinghouse(HttpClient http, CoreHttpClearinghouseOptions options, TimeProvider time)
    {
        options.Validate();
        _http = http;
        _options = options;
        _time = time;
    }

    public string Name => _options.Name;

    public async Task<ClearinghouseExchange> SendEligibilityAsync(string request270, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(request270);
        var payloadId = TypedIds.NewGuid(_time).ToString();
        var sentAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();

        ClearinghouseExchange Done(string? response, ClearinghouseError? error) =>
            new(Name, request270, response, sentAt, _time.GetElapsedTime(started), error, payloadId);

        using var form = new MultipartFormDataContent();
        void Field(string name, string value) => form.Add(new StringContent(value, Encoding.UTF8), name);
        Field("ProcessingMode", "RealTime");
        Field("PayloadType", RequestPayloadType);
        Field("PayloadID", payloadId);
        // CORE TimeStamp: an XML dateTime in UTC.
        Field("TimeStamp", sentAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Field("SenderID", _options.SenderId);
        Field("ReceiverID", _options.ReceiverId);
        Field("CORERuleVersion", "2.2.0");
        Field("Payload", request270);

        using var message = new HttpRequestMessage(HttpMethod.Post, _options.Endpoint) { Content = form };
        message.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_options.Username}:{_options.Password}")));

        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, linked.Token);
            var status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                return Done(null, new ClearinghouseError(ClearinghouseErrorKind.Unauthorized,
                    $"{Name} refused the credentials (HTTP {status} {response.ReasonPhrase}).", status));
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(linked.Token);
                return Done(null, new ClearinghouseError(ClearinghouseErrorKind.HttpStatus,
                    $"{Name} answered HTTP {status} {response.ReasonPhrase}{Excerpt(body)}.", status));
            }
            var fields = await ReadMultipartAsync(response, linked.Token);
            if (fields is null)
                return Done(null, new ClearinghouseError(ClearinghouseErrorKind.InvalidResponse,
                    $"{Name} did not answer with a readable CORE multipart envelope (content type {response.Content.Headers.ContentType?.MediaType ?? "none"})."));
            var errorCode = fields.GetValueOrDefault("ErrorCode");
            if (errorCode is not null && errorCode != "Success")
                return Done(null, new ClearinghouseError(ClearinghouseErrorKind.Rejected,
                    $"{Name} rejected the request: {errorCode}{(fields.GetValueOrDefault("ErrorMessage") is { Length: > 0 } m ? " — " + m : "")}.", null, errorCode));
            var payloadType = fields.GetValueOrDefault("PayloadType");
            if (payloadType is null || !ResponsePayloadTypes.Contains(payloadType))
                return Done(null, new ClearinghouseError(ClearinghouseErrorKind.InvalidResponse,
                    $"{Name} answered with payload type \"{payloadType}\"; expected one of {string.Join(", ", ResponsePayloadTypes)}."));
            if (fields.GetValueOrDefault("Payload") is not { Length: > 0 } payload)
                return Done(null, new ClearinghouseError(ClearinghouseErrorKind.InvalidResponse, $"{Name} answered without a Payload."));
            return Done(payload, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Our timeout (or HttpClient.Timeout) fired; a cancellation by the caller propagates instead.
            return Done(null, new ClearinghouseError(ClearinghouseErrorKind.Timeout, $"{Name} did not answer within {_options.Timeout.TotalSeconds:0.#} s."));
        }
        catch (HttpRequestException e)
        {
            return Done(null, new ClearinghouseError(ClearinghouseErrorKind.ConnectionFailed, $"{Name} could not be reached at {_options.Endpoint}: {e.Message}"));
        }
    }

    /// <summary>The multipart fields by name, or null when the body is not multipart.</summary>
    private static async Task<Dictionary<string, string>?> ReadMultipartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var type = response.Content.Headers.ContentType;
        if (type?.MediaType is null || !type.MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)) return null;
        var boundary = type.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');
        if (string.IsNullOrEmpty(boundary)) return null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var reader = new MultipartReader(boundary, body);
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || disposition.Name is null) continue;
                using var text = new StreamReader(section.Body, Encoding.UTF8);
                fields[disposition.Name.Trim('"')] = await text.ReadToEndAsync(ct);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return null; // a truncated or malformed multipart body is not a CORE envelope
        }
        return fields;
    }

    private static string Excerpt(string body)
    {
        var text = body.Trim();
        if (text.Length == 0) return "";
        return ": " + (text.Length <= 200 ? text : text[..200] + "…");
    }
}
