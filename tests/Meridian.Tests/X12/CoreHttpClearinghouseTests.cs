using System.Net;
using System.Net.Sockets;
using System.Text;
using Meridian.X12;
using Meridian.X12.Clearinghouse;
using Meridian.X12.Eligibility;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meridian.Tests.X12;

/// <summary>
/// A small CORE real-time endpoint on 127.0.0.1 (Kestrel, random port) that answers 270s with the local simulator, plus
/// misbehaving routes: slow, HTTP 500, CORE error code, not multipart. It records what it received.
/// </summary>
public sealed class CoreEndpointFixture : IAsyncLifetime
{
    public const string User = "meridian";
    public const string Password = "s3cret:with-colon";
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;
    public List<Dictionary<string, string>> Received { get; } = [];
    public List<string?> Authorizations { get; } = [];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        var simulator = new LocalClearinghouseSimulator(new FixedZoneClock(X12Samples.Now));

        _app.MapPost("/core/realtime", async (HttpContext ctx) =>
        {
            var fields = await ReadAsync(ctx);
            if (ctx.Request.Headers.Authorization.ToString() != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")))
                return Results.Unauthorized();
            var exchange = await simulator.SendEligibilityAsync(fields["Payload"], ctx.RequestAborted);
            return Multipart(new()
            {
                ["ProcessingMode"] = "RealTime", ["PayloadType"] = "X12_271_Response_005010X279A1", ["PayloadID"] = fields["PayloadID"],
                ["TimeStamp"] = "2025-03-14T14:26:01Z", ["SenderID"] = fields["ReceiverID"], ["ReceiverID"] = fields["SenderID"],
                ["CORERuleVersion"] = "2.2.0", ["Payload"] = exchange.Response!, ["ErrorCode"] = "Success", ["ErrorMessage"] = "",
            });
        });
        _app.MapPost("/slow", async (HttpContext ctx) =>
        {
            await ReadAsync(ctx);
            await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted);
            return Results.Ok();
        });
        _app.MapPost("/fail", () => Results.Text("payer gateway down", statusCode: 500));
        _app.MapPost("/core-error", () => Multipart(new()
        {
            ["PayloadType"] = "CoreEnvelopeError", ["ErrorCode"] = "SenderIDNotAuthorized", ["ErrorMessage"] = "Sender MERIDIAN is not enrolled",
        }));
        _app.MapPost("/not-core", () => Results.Json(new { ok = true }));
        _app.MapPost("/wrong-payload", () => Multipart(new() { ["PayloadType"] = "X12_277_Response_005010X212", ["Payload"] = "ISA", ["ErrorCode"] = "Success" }));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address);
    }

    private async Task<Dictionary<string, string>> ReadAsync(HttpContext ctx)
    {
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString());
        lock (Received)
        {
            Received.Add(fields);
            Authorizations.Add(ctx.Request.Headers.Authorization.ToString());
        }
        return fields;
    }

    private static IResult Multipart(Dictionary<string, string> fields)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, value) in fields) content.Add(new StringContent(value), name);
        return Results.Stream(s => content.CopyToAsync(s), content.Headers.ContentType!.ToString());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

public sealed class CoreHttpClearinghouseTests(CoreEndpointFixture endpoint) : IClassFixture<CoreEndpointFixture>
{
    private readonly FixedZoneClock _clock = new(X12Samples.Now);

    private CoreHttpClearinghouse Adapter(string path, string password = CoreEndpointFixture.Password, TimeSpan? timeout = null, Uri? baseAddress = null) =>
        new(new HttpClient(), new CoreHttpClearinghouseOptions
        {
            Name = "Test CORE endpoint",
            Endpoint = new Uri(baseAddress ?? endpoint.BaseAddress, path),
            Username = CoreEndpointFixture.User,
            Password = password,
            SenderId = "MERIDIAN",
            ReceiverId = "TESTCH",
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        }, TimeProvider.System);

    private string Request() => new Eligibility270Builder(_clock).Build(X12Samples.Subscriber(), 77);

    [Fact]
    public async Task A_270_is_posted_as_CORE_multipart_with_basic_auth_and_the_271_payload_comes_back()
    {
        var request = Request();
        var exchange = await Adapter("/core/realtime").SendEligibilityAsync(request, CancellationToken.None);

        Assert.True(exchange.Succeeded, exchange.Error?.Message);
        Assert.Equal("Test CORE endpoint", exchange.Clearinghouse);
        Assert.Equal(CoverageStatus.Active, Eligibility271Parser.Parse(exchange.Response!).Status);
        Assert.True(exchange.Elapsed > TimeSpan.Zero);

        Dictionary<string, string> sent;
        lock (endpoint.Received) sent = endpoint.Received.Last(f => f.GetValueOrDefault("PayloadID") == exchange.PayloadId);
        Assert.Equal("RealTime", sent["ProcessingMode"]);
        Assert.Equal("X12_270_Request_005010X279A1", sent["PayloadType"]);
        Assert.True(Guid.TryParse(sent["PayloadID"], out _));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", sent["TimeStamp"]);
        Assert.Equal(("MERIDIAN", "TESTCH", "2.2.0"), (sent["SenderID"], sent["ReceiverID"], sent["CORERuleVersion"]));
        Assert.Equal(request, sent["Payload"]);
    }

    [Fact]
    public async Task Wrong_credentials_come_back_as_an_unauthorized_error()
    {
        var exchange = await Adapter("/core/realtime", password: "wrong").SendEligibilityAsync(Request(), CancellationToken.None);

        Assert.False(exchange.Succeeded);
        Assert.Null(exchange.Response);
        Assert.Equal((ClearinghouseErrorKind.Unauthorized, 401), (exchange.Error!.Kind, exchange.Error.HttpStatusCode));
        Assert.Contains("refused the credentials (HTTP 401", exchange.Error.Message);
    }

    [Fact]
    public async Task An_HTTP_500_is_a_transient_transport_error_with_the_status_and_body()
    {
        var exchange = await Adapter("/fail").SendEligibilityAsync(Request(), CancellationToken.None);

        Assert.Equal((ClearinghouseErrorKind.HttpStatus, 500), (exchange.Error!.Kind, exchange.Error.HttpStatusCode));
        Assert.Equal("Test CORE endpoint answered HTTP 500 Internal Server Error: payer gateway down.", exchange.Error.Message);
        Assert.True(exchange.Error.IsTransient);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_is_a_timeout_error()
    {
        var exchange = await Adapter("/slow", timeout: TimeSpan.FromMilliseconds(400)).SendEligibilityAsync(Request(), CancellationToken.None);

        Assert.Equal(ClearinghouseErrorKind.Timeout, exchange.Error!.Kind);
        Assert.Equal("Test CORE endpoint did not answer within 0.4 s.", exchange.Error.Message);
        Assert.InRange(exchange.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(5));
        Assert.True(exchange.Error.IsTransient);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_turned_into_an_error()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Adapter("/slow").SendEligibilityAsync(Request(), cancel.Token));
    }

    [Fact]
    public async Task A_refused_connection_is_a_connection_error()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var exchange = await Adapter("/core/realtime", baseAddress: new Uri($"http://127.0.0.1:{port}")).SendEligibilityAsync(Request(), CancellationToken.None);
        Assert.Equal(ClearinghouseErrorKind.ConnectionFailed, exchange.Error!.Kind);
        Assert.Contains($"could not be reached at http://127.0.0.1:{port}/core/realtime", exchange.Error.Message);
    }

    [Fact]
    public async Task A_CORE_error_code_and_answers_that_are_not_CORE_envelopes_are_reported_as_such()
    {
        var rejected = await Adapter("/core-error").SendEligibilityAsync(Request(), CancellationToken.None);
        Assert.Equal((ClearinghouseErrorKind.Rejected, "SenderIDNotAuthorized"), (rejected.Error!.Kind, rejected.Error.CoreErrorCode));
        Assert.Equal("Test CORE endpoint rejected the request: SenderIDNotAuthorized — Sender MERIDIAN is not enrolled.", rejected.Error.Message);
        Assert.False(rejected.Error.IsTransient);

        var json = await Adapter("/not-core").SendEligibilityAsync(Request(), CancellationToken.None);
        Assert.Equal(ClearinghouseErrorKind.InvalidResponse, json.Error!.Kind);
        Assert.Contains("content type application/json", json.Error.Message);

        var wrong = await Adapter("/wrong-payload").SendEligibilityAsync(Request(), CancellationToken.None);
        Assert.Equal(ClearinghouseErrorKind.InvalidResponse, wrong.Error!.Kind);
        Assert.Contains("payload type \"X12_277_Response_005010X212\"", wrong.Error.Message);
    }

    [Fact]
    public void Incomplete_settings_are_refused_when_the_adapter_is_made()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new CoreHttpClearinghouse(new HttpClient(), new CoreHttpClearinghouseOptions(), TimeProvider.System));
        Assert.Equal("CORE HTTP clearinghouse settings: Endpoint must be an absolute http(s) URL; Username is required; SenderId is required; ReceiverId is required.", error.Message);
    }
}
