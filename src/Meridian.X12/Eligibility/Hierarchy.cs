using System.Globalization;

namespace Meridian.X12.Eligibility;

/// <summary>One HL level of a 270/271 and the segments that follow it up to the next HL.</summary>
internal sealed class HlLevel(X12Segment hl, HlLevel? parent)
{
    public X12Segment Hl { get; } = hl;
    public HlLevel? Parent { get; } = parent;
    public List<HlLevel> Children { get; } = [];
    public List<X12Segment> Segments { get; } = [];

    /// <summary>HL03: 20 information source, 21 information receiver, 22 subscriber, 23 dependent.</summary>
    public string Code => Hl[3];
}

/// <summary>
/// Splits a 270/271 transaction set into its BHT header and HL tree, checking the HL rules: HL01 numbered 1, 2, 3…,
/// HL02 naming an earlier HL, the level codes nested 20 → 21 → 22 → 23, and HL04 saying truly whether children follow.
/// </summary>
internal static class Hierarchy
{
    private static readonly Dictionary<string, string?> ParentCode = new()
    {
        ["20"] = null,
        ["21"] = "20",
        ["22"] = "21",
        ["23"] = "22",
    };

    /// <summary>
    /// The checks the 270 and the 271 share: the group (GS01 HS or HB), the implementation guide (005010X279A1) and exactly
    /// one BHT before the HL tree. Returns the BHT and the levels.
    /// </summary>
    public static (X12Segment Bht, List<HlLevel> Levels) ReadEligibility(X12TransactionSet set, string groupCode)
    {
        if (set.Group!.FunctionalIdentifierCode != groupCode)
            throw new X12FormatException($"a {set.Id} belongs in a functional group with GS01 = {groupCode}, found \"{set.Group.FunctionalIdentifierCode}\"", set.Group.Header);
        if (set.ImplementationReference != Eligibility270Builder.Implementation)
            throw new X12FormatException($"implementation guide \"{set.ImplementationReference}\" is not supported: this reader handles {Eligibility270Builder.Implementation}", set.Header);
        var (header, levels) = Read(set);
        if (header.Count != 1 || header[0].Id != "BHT")
            throw new X12FormatException($"a {set.Id} starts with exactly one BHT segment before its first HL", header.Count > 0 ? header[^1] : set.Header);
        return (header[0], levels);
    }

    public static (List<X12Segment> Header, List<HlLevel> Levels) Read(X12TransactionSet set)
    {
        var header = new List<X12Segment>();
        var levels = new List<HlLevel>();
        var byId = new Dictionary<string, HlLevel>(StringComparer.Ordinal);
        HlLevel? current = null;
        foreach (var s in set.Body)
        {
            if (s.Id != "HL")
            {
                if (current is null) header.Add(s);
                else current.Segments.Add(s);
                continue;
            }
            var expected = (levels.Count + 1).ToString(CultureInfo.InvariantCulture);
            if (s[1] != expected)
                throw new X12FormatException($"HL01 is \"{s[1]}\" but HL segments are numbered from 1 in order (expected {expected})", s);
            if (!ParentCode.TryGetValue(s[3], out var parentCode))
                throw new X12FormatException($"HL03 \"{s[3]}\" is not an eligibility hierarchical level (20 information source, 21 information receiver, 22 subscriber, 23 dependent)", s);
            HlLevel? parent = null;
            if (parentCode is null)
            {
                if (s.Has(2)) throw new X12FormatException("HL02 must be empty on the information source level (20), which has no parent", s);
            }
            else
            {
                if (!byId.TryGetValue(s[2], out parent))
                    throw new X12FormatException($"HL02 \"{s[2]}\" does not name an earlier HL segment", s);
                if (parent.Code != parentCode)
                    throw new X12FormatException($"level {s[3]} must sit under level {parentCode}, but its parent HL {s[2]} is level {parent.Code}", s);
            }
            if (s[4] is not ("0" or "1"))
                throw new X12FormatException($"HL04 (hierarchical child code) must be 0 or 1, found \"{s[4]}\"", s);
            current = new HlLevel(s, parent);
            parent?.Children.Add(current);
            levels.Add(current);
            byId[s[1]] = current;
        }
        foreach (var level in levels)
        {
            var says = level.Hl[4] == "1";
            if (says != level.Children.Count > 0)
                throw new X12FormatException(says
                    ? $"HL04 is 1 but no HL level follows under HL {level.Hl[1]}"
                    : $"HL04 is 0 but HL {level.Hl[1]} has {level.Children.Count} subordinate level(s)", level.Hl);
        }
        if (levels.Count == 0)
            throw new X12FormatException("the transaction set has no HL levels (the 2000A information source level is required)", set.Header);
        return (header, levels);
    }
}

/// <summary>Element parsing shared by the 270 and 271 readers (every failure names the segment and element), and the
/// formatting their writers share.</summary>
internal static class Elements
{
    /// <summary>A D8 (CCYYMMDD) date as written.</summary>
    public static string D8(DateOnly date) => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>DMG03 as written: F, M or U; null leaves it out.</summary>
    public static string? GenderCode(X12Gender? gender) => gender switch
    {
        X12Gender.Female => "F",
        X12Gender.Male => "M",
        X12Gender.Unknown => "U",
        _ => null,
    };

    public static DateOnly D8(X12Segment s, int element) => D8(s[element], s, $"{s.Id}{element:00}");

    public static DateOnly D8(string value, X12Segment s, string name) =>
        DateOnly.TryParseExact(value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new X12FormatException($"{name} \"{value}\" is not a date (CCYYMMDD)", s);

    /// <summary>DTP02 D8 (one date) or RD8 (CCYYMMDD-CCYYMMDD).</summary>
    public static (DateOnly Start, DateOnly? End) DatePeriod(X12Segment dtp)
    {
        switch (dtp[2])
        {
            case "D8":
                return (D8(dtp, 3), null);
            case "RD8":
                var parts = dtp[3].Split('-');
                if (parts.Length != 2) throw new X12FormatException($"DTP03 \"{dtp[3]}\" is not a date range (CCYYMMDD-CCYYMMDD)", dtp);
                var start = D8(parts[0], dtp, "DTP03");
                var end = D8(parts[1], dtp, "DTP03");
                if (end < start) throw new X12FormatException($"DTP03 range \"{dtp[3]}\" ends before it starts", dtp);
                return (start, end);
            default:
                throw new X12FormatException($"DTP02 \"{dtp[2]}\" is not a date format the 270/271 uses (D8 or RD8)", dtp);
        }
    }

    /// <summary>An X12 R (decimal) element: optional sign, digits, optional decimal point; no exponent, no grouping.</summary>
    public static decimal? Decimal(X12Segment s, int element)
    {
        var value = s[element];
        if (value.Length == 0) return null;
        return decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new X12FormatException($"{s.Id}{element:00} \"{value}\" is not a number", s);
    }

    public static X12Gender? Gender(X12Segment dmg)
    {
        return dmg[3] switch
        {
            "" => null,
            "F" => X12Gender.Female,
            "M" => X12Gender.Male,
            "U" => X12Gender.Unknown,
            var other => throw new X12FormatException($"DMG03 \"{other}\" is not a gender code (F, M or U)", dmg),
        };
    }

    public static DateOnly? BirthDate(X12Segment dmg)
    {
        if (!dmg.Has(2)) return null;
        if (dmg[1] != "D8") throw new X12FormatException($"DMG01 must be D8 when DMG02 carries a birth date, found \"{dmg[1]}\"", dmg);
        return D8(dmg, 2);
    }

    /// <summary>Y/N(/U/W) indicator elements.</summary>
    public static string? Indicator(X12Segment s, int element, params string[] allowed)
    {
        var v = s[element];
        if (v.Length == 0) return null;
        return allowed.Contains(v) ? v : throw new X12FormatException($"{s.Id}{element:00} \"{v}\" must be one of {string.Join(", ", allowed)}", s);
    }
}
