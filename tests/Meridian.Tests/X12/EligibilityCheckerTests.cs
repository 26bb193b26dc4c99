using Meridian.SharedKernel.Errors;
using Meridian.X12;
using Meridian.X12.Clearinghouse;
using Meridian.X12.Eligibility;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.X12;

public sealed class EligibilityCheckerTests
{
    private readonly FixedZoneClock _clock = new(X12Samples.Now);

    /// <summary>A clearinghouse that answers with a fixed text or error, to put the checker in front of bad answers.</summary>
    private sealed class Canned(Func<string, string?> answer, ClearinghouseError? error = null) : IClearinghouse
    {
        public string Name => "Canned";

        public Task<ClearinghouseExchange> SendEligibilityAsync(string request270, CancellationToken ct) =>
            Task.FromResult(new ClearinghouseExchange(Name, request270, error is null ? answer(request270) : null, DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(5), error));
    }

    [Fact]
    public async Task A_check_through_the_simulator_is_answered_with_the_coverage()
    {
        var checker = new EligibilityChecker(new LocalClearinghouseSimulator(_clock), _clock);
        var result = await checker.CheckAsync(X12Samples.Subscriber(), 100, CancellationToken.None);

        Assert.Equal(EligibilityCheckOutcome.Answered, result.Outcome);
        Assert.Null(result.Problem);
        Assert.Equal(CoverageStatus.Active, result.Response!.Status);
        Assert.StartsWith("ISA*", result.Exchange.Request);
        Assert.Equal("000000100", X12Reader.Read(result.Exchange.Request).ControlNumber);

        var rejected = await checker.CheckAsync(X12Samples.Subscriber("NOTFOUND1"), 101, CancellationToken.None);
        Assert.Equal((EligibilityCheckOutcome.Answered, CoverageStatus.Rejected), (rejected.Outcome, rejected.Response!.Status));
    }

    [Fact]
    public async Task An_invalid_inquiry_is_refused_before_anything_is_sent()
    {
        var sent = 0;
        var checker = new EligibilityChecker(new Canned(_ => { sent++; return null; }), _clock);
        await Assert.ThrowsAsync<ValidationFailedException>(() => checker.CheckAsync(X12Samples.Subscriber() with { ProviderNpi = "1" }, 1, CancellationToken.None));
        Assert.Equal(0, sent);
    }

    [Fact]
    public async Task Transport_errors_acknowledgments_malformed_answers_and_foreign_traces_are_outcomes_not_exceptions()
    {
        var inquiry = X12Samples.Subscriber();
        var simulator = new LocalClearinghouseSimulator(_clock);

        var down = await new EligibilityChecker(new Canned(_ => null, new ClearinghouseError(ClearinghouseErrorKind.Timeout, "no answer in 20 s")), _clock)
            .CheckAsync(inquiry, 1, CancellationToken.None);
        Assert.Equal((EligibilityCheckOutcome.TransportFailed, "no answer in 20 s"), (down.Outcome, down.Problem));

        // The simulator answers a malformed 270 with a 999; here the 270 is broken after it was built.
        var broken = new Canned(request => simulator.Answer(request.Replace("NM1*IL*1*", "NM1*XX*1*")).Response);
        var ack = await new EligibilityChecker(broken, _clock).CheckAsync(inquiry, 2, CancellationToken.None);
        Assert.Equal(EligibilityCheckOutcome.Acknowledged, ack.Outcome);
        Assert.False(ack.Acknowledgment!.Accepted);
        Assert.StartsWith("Canned did not answer with eligibility: 999: group HS 2 Rejected (R)", ack.Problem);

        var truncated = new Canned(request => simulator.Answer(request).Response![..^20]);
        var bad = await new EligibilityChecker(truncated, _clock).CheckAsync(inquiry, 3, CancellationToken.None);
        Assert.Equal(EligibilityCheckOutcome.InvalidResponse, bad.Outcome);
        Assert.StartsWith("Canned returned a malformed 271: X12 segment", bad.Problem);
        Assert.Contains("truncated", bad.Problem);

        var otherTrace = new Canned(request => simulator.Answer(request.Replace("TRN*1*TRC-0001*", "TRN*1*TRC-9999*")).Response);
        var foreign = await new EligibilityChecker(otherTrace, _clock).CheckAsync(inquiry, 4, CancellationToken.None);
        Assert.Equal((EligibilityCheckOutcome.InvalidResponse, "The 271 answers trace TRC-9999, not this inquiry's trace TRC-0001."), (foreign.Outcome, foreign.Problem));
    }

    [Fact]
    public void Configuration_chooses_the_simulator_or_the_CORE_adapter_and_refuses_unknown_modes()
    {
        static ServiceProvider Build(Dictionary<string, string?> settings)
        {
            var section = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            return new ServiceCollection().AddClearinghouse(section).BuildServiceProvider();
        }

        using (var simulator = Build(new() { ["Latency"] = "00:00:00.250" }))
        {
            Assert.IsType<LocalClearinghouseSimulator>(simulator.GetRequiredService<IClearinghouse>());
            Assert.NotNull(simulator.GetRequiredService<EligibilityChecker>());
        }
        using (var core = Build(new()
        {
            ["Mode"] = "CoreHttp", ["Endpoint"] = "https://clearinghouse.example/core/realtime", ["Username"] = "u", ["Password"] = "p",
            ["SenderId"] = "MERIDIAN", ["ReceiverId"] = "CH", ["Name"] = "Example CH",
        }))
            Assert.Equal("Example CH", Assert.IsType<CoreHttpClearinghouse>(core.GetRequiredService<IClearinghouse>()).Name);

        Assert.Contains("Mode \"Carrier pigeon\" is not known", Assert.Throws<InvalidOperationException>(() => Build(new() { ["Mode"] = "Carrier pigeon" })).Message);
        Assert.Contains("Endpoint must be an absolute http(s) URL", Assert.Throws<InvalidOperationException>(() => Build(new() { ["Mode"] = "CoreHttp" })).Message);
    }
}
