using Meridian.X12;
using Meridian.X12.Acknowledgments;
using Meridian.X12.Clearinghouse;
using Meridian.X12.Eligibility;

namespace Meridian.Tests.X12;

public sealed class X12MalformedInputTests
{
    /// <summary>
    /// Every one-character corruption (a delimiter, a control character, a letter) and every truncation of a 270 and of the
    /// 271 answering it: the readers either read it or throw X12FormatException, and the simulator answers or reports an
    /// error; no other exception escapes (IndexOutOfRange, ArgumentException from echoing bad values, …).
    /// </summary>
    [Fact]
    public void Corrupted_or_truncated_interchanges_raise_only_X12FormatException()
    {
        var clock = new FixedZoneClock(X12Samples.Now);
        var simulator = new LocalClearinghouseSimulator(clock);
        var request = new Eligibility270Builder(clock).Build(X12Samples.Dependent(), 5);
        var answer = simulator.Answer(request).Response!;
        var failures = new List<string>();
        foreach (var text in new[] { request, answer })
        {
            for (var i = 0; i < text.Length; i++)
            {
                foreach (var c in new[] { '*', '~', ':', '^', '\u0001', 'X' })
                    Check(text[..i] + c + text[(i + 1)..]);
                Check(text[..i]);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));

        void Check(string input)
        {
            Run("simulator", () =>
            {
                if (simulator.Answer(input).Response is { } response) X12Reader.Read(response);
            });
            Run("270 parser", () => Eligibility270Parser.Parse(input, new DateOnly(2025, 3, 14)));
            Run("271 parser", () => Eligibility271Parser.ParseAll(input));
            Run("acknowledgments", () =>
            {
                foreach (var interchange in X12Reader.ReadAll(input)) X12Acknowledgment.Read(interchange);
            });

            void Run(string what, Action action)
            {
                try
                {
                    action();
                }
                catch (X12FormatException)
                {
                }
                catch (Exception e)
                {
                    failures.Add($"{what}: {e.GetType().Name}: {e.Message} for {input}");
                }
            }
        }
    }
}
