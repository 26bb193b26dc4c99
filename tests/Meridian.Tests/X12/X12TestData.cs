using Meridian.X12;
using Meridian.X12.Eligibility;

namespace Meridian.Tests.X12;

/// <summary>
/// The X12 samples in the shared data folder (../shared/data/x12 next to the repository; never copied into it).
/// MERIDIAN_SHARED_DATA may point at the shared data folder instead, as for the Synthea tests.
/// </summary>
internal static class X12SharedData
{
    public static readonly string? Directory = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("MERIDIAN_SHARED_DATA") is { Length: > 0 } shared)
            return System.IO.Directory.Exists(Path.Combine(shared, "x12")) ? Path.GetFullPath(Path.Combine(shared, "x12")) : null;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meridian.slnx"))) dir = dir.Parent;
        if (dir is null) return null;
        var x12 = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "x12"));
        return System.IO.Directory.Exists(x12) ? x12 : null;
    }

    public const string SkipReason = "The X12 sample data (../shared/data/x12 beside the repository, or $MERIDIAN_SHARED_DATA/x12) is not present.";

    public static string FullPath(string relative) => Path.Combine(Directory!, relative);

    public static string Read(string relative) => File.ReadAllText(FullPath(relative));

    public static IEnumerable<string> Files(string folder, string pattern) =>
        Directory is null ? [] : System.IO.Directory.GetFiles(Path.Combine(Directory, folder), pattern).Order(StringComparer.Ordinal);

    /// <summary>Theory rows of file names (relative to the x12 folder); a placeholder row when the data is absent, because
    /// the test is skipped then anyway and xunit refuses a theory without rows.</summary>
    public static TheoryData<string> Rows(string folder, params string[] patterns)
    {
        var rows = new TheoryData<string>();
        foreach (var file in patterns.SelectMany(p => Files(folder, p)))
            rows.Add(Path.Combine(folder, Path.GetFileName(file)));
        if (Directory is null) rows.Add("(absent)");
        return rows;
    }
}

/// <summary>A fact skipped, with the reason shown, when the shared X12 samples are not present.</summary>
public sealed class X12DataFactAttribute : FactAttribute
{
    public X12DataFactAttribute()
    {
        if (X12SharedData.Directory is null) Skip = X12SharedData.SkipReason;
    }
}

/// <summary>A theory skipped, with the reason shown, when the shared X12 samples are not present.</summary>
public sealed class X12DataTheoryAttribute : TheoryAttribute
{
    public X12DataTheoryAttribute()
    {
        if (X12SharedData.Directory is null) Skip = X12SharedData.SkipReason;
    }
}

/// <summary>Inquiries and helpers shared by the X12 tests.</summary>
internal static class X12Samples
{
    /// <summary>A valid NPI (the CMS check-digit example).</summary>
    public const string Npi = "1234567893";

    public static readonly DateTimeOffset Now = new(2025, 3, 14, 9, 26, 0, TimeSpan.FromHours(-5));

    public static EligibilityInquiry Subscriber(string memberId = "W123456789", string payerId = "87726", string? group = "GRP-100",
        IReadOnlyList<string>? serviceTypes = null) => new(
        "TRC-0001",
        new EdiParty("ZZ", "MERIDIANCLINIC"),
        new EdiParty("ZZ", "CLEARINGHOUSE"),
        "Acme Health Plan",
        payerId,
        "Riverside Family Practice",
        Npi,
        new EligibilitySubscriber(memberId, "Ana", "Müller-Díaz", new DateOnly(1980, 6, 15), X12Gender.Female, group),
        null,
        new DateOnly(2025, 3, 15),
        serviceTypes);

    public static EligibilityInquiry Dependent(string memberId = "W123456789") => Subscriber(memberId) with
    {
        TraceNumber = "TRC-0002",
        Subscriber = new EligibilitySubscriber(memberId, "Ana", "Muller", new DateOnly(1980, 6, 15), X12Gender.Female, "GRP-100"),
        Dependent = new EligibilityDependent("Leo", "Muller", new DateOnly(2015, 2, 1), X12Gender.Male),
    };

    /// <summary>The segments of an interchange as "ID*E1*E2" strings (no terminator), for segment-by-segment expectations.</summary>
    public static string[] Lines(string x12) => X12Reader.ReadSegments(x12).Select(s => s.ToString()).ToArray();
}

/// <summary>A fixed clock in a fixed zone (UTC-5), so local X12 dates and times do not depend on the machine's zone.</summary>
internal sealed class FixedZoneClock(DateTimeOffset now) : TimeProvider
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.CreateCustomTimeZone("meridian-test-05", TimeSpan.FromHours(-5), "UTC-5", "UTC-5");
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now.ToUniversalTime();
    public override TimeZoneInfo LocalTimeZone => Zone;
    public void Advance(TimeSpan by) => _now += by;
}
