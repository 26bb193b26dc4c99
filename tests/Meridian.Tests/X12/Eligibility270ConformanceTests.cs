using Meridian.X12;
using Meridian.X12.Eligibility;

namespace Meridian.Tests.X12;

/// <summary>The 270s the builder writes checked against the pyx12 005010X279A1 map (skipped when the shared data is absent).</summary>
public sealed class Eligibility270ConformanceTests
{
    private static readonly Lazy<Pyx12Map> Map = new(() => Pyx12Map.Load(X12SharedData.FullPath("maps-pyx12/270.5010.X279.A1.xml")));
    private readonly Eligibility270Builder _builder = new(new FixedZoneClock(X12Samples.Now));

    [X12DataFact]
    public void A_subscriber_inquiry_conforms_to_the_270_map()
    {
        var inquiry = X12Samples.Subscriber(serviceTypes: ["30", "98", "AL"]) with
        {
            Subscriber = new EligibilitySubscriber("W123456789", "Ana", "Muller", new DateOnly(1980, 6, 15), X12Gender.Female, "GRP-100", "Q", "JR"),
        };
        Assert.Empty(Map.Value.Check270(X12Reader.Read(_builder.Build(inquiry, 1))));
    }

    [X12DataFact]
    public void A_dependent_inquiry_conforms_to_the_270_map()
    {
        var inquiry = X12Samples.Dependent() with { ProviderName = "Okafor", ProviderFirstName = "Chidi" };
        Assert.Empty(Map.Value.Check270(X12Reader.Read(_builder.Build(inquiry, 1))));
    }

    [X12DataFact]
    public void The_map_check_finds_segments_in_the_wrong_loop_missing_required_data_and_unknown_codes()
    {
        // Guards the guard: the same inquiry with faults put in must fail the check.
        var lines = X12Samples.Lines(_builder.Build(X12Samples.Subscriber(), 1)).ToList();
        lines[lines.IndexOf("DMG*D8*19800615*F")] = "DMG*D8*19800615*X";
        lines.Insert(lines.IndexOf("HL*2*1*21*1"), "DTP*291*D8*20250315");
        lines[lines.IndexOf("EQ*30")] = "EQ*ZZ";
        var broken = string.Join("~", lines.Select(l => l.StartsWith("SE*", StringComparison.Ordinal) ? "SE*15*0001" : l)) + "~";

        var problems = Map.Value.Check270(X12Reader.Read(broken));
        Assert.Contains(problems, p => p.Contains("DTP: not allowed in loop 2100A", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("DMG03 \"X\" is not one of the map's codes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("EQ01 \"ZZ\" is not one of the map's codes", StringComparison.Ordinal));
    }
}
