using System.Globalization;

namespace Meridian.X12;

/// <summary>
/// Reads X12 interchanges. Delimiters come from each ISA (see <see cref="X12Delimiters"/>); line breaks (and stray spaces)
/// after segment terminators, trailing whitespace and a UTF-8 byte-order mark are tolerated because files edited or
/// mailed by people carry them, and no segment identifier starts with whitespace. Everything else that breaks the X12 envelope rules is refused with an <see cref="X12FormatException"/>.
/// </summary>
public static class X12Reader
{
    /// <summary>ISA01…ISA16 widths: ISA is fixed-width (X12.5 Interchange Control Structures), 106 characters in all.</summary>
    private static readonly int[] IsaWidths = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

    /// <summary>"ISA" + 16 element separators + the fixed widths; the segment terminator follows at this offset.</summary>
    internal const int IsaLength = 3 + 16 + 86;

    /// <summary>Reads input that must hold exactly one interchange.</summary>
    public static X12Interchange Read(string text)
    {
        var all = ReadAll(text);
        if (all.Count != 1)
            throw new X12FormatException($"expected one interchange but the input holds {all.Count} (ISA control numbers {string.Join(", ", all.Select(i => i.ControlNumber))})");
        return all[0];
    }

    /// <summary>Reads every interchange in the input (files may concatenate several ISA…IEA envelopes).</summary>
    public static IReadOnlyList<X12Interchange> ReadAll(string text) => ReadAll(ReadSegments(text));

    /// <summary>Groups segments already split by <see cref="ReadSegments"/> into interchanges, checking the envelope.</summary>
    internal static IReadOnlyList<X12Interchange> ReadAll(IReadOnlyList<X12Segment> segments)
    {
        var interchanges = new List<X12Interchange>();
        var i = 0;
        while (i < segments.Count)
            interchanges.Add(ReadInterchange(segments, ref i));
        return interchanges;
    }

    /// <summary>
    /// Splits the input into segments using the delimiters each ISA declares, without checking the envelope structure.
    /// Refuses empty input, input that does not start with ISA, a truncated or mis-sized ISA, unusable delimiters,
    /// an unterminated last segment and malformed segment identifiers.
    /// </summary>
    public static IReadOnlyList<X12Segment> ReadSegments(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pos = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') pos = 1;
        pos = SkipWhitespace(text, pos);
        if (pos >= text.Length) throw new X12FormatException("the input is empty");
        if (!IsIsaAt(text, pos))
        {
            var first = FirstLine(text, pos);
            throw new X12FormatException($"the input does not start with an ISA interchange header (it starts with \"{first}\")", 1, FirstId(first));
        }

        var segments = new List<X12Segment>();
        X12Delimiters? delimiters = null;
        while (pos < text.Length)
        {
            var number = segments.Count + 1;
            if (IsIsaAt(text, pos))
            {
                // Every interchange declares its own delimiters.
                var (isa, declared) = ReadIsa(text, pos, number);
                delimiters = declared;
                segments.Add(isa);
                pos += IsaLength + 1;
            }
            else
            {
                var end = text.IndexOf(delimiters!.Segment, pos);
                if (end < 0)
                {
                    var rest = text[pos..].TrimEnd();
                    throw new X12FormatException(
                        $"the input ends inside a segment without its terminator '{X12Delimiters.Show(delimiters.Segment)}' (\"{Shorten(rest)}\"): the file is truncated",
                        number, FirstId(rest.Split(delimiters.Element)[0]));
                }
                segments.Add(ParseSegment(text.AsSpan(pos, end - pos).TrimEnd("\r\n").ToString(), delimiters, number));
                pos = end + 1;
            }
            pos = SkipWhitespace(text, pos);
        }
        return segments;
    }

    private static X12Segment ParseSegment(string raw, X12Delimiters d, int number)
    {
        if (raw.Length == 0)
            throw new X12FormatException($"empty segment (two segment terminators '{X12Delimiters.Show(d.Segment)}' in a row)", number);
        foreach (var c in raw)
            if (char.IsControl(c) && !d.IsDelimiter(c))
                throw new X12FormatException($"control character '{X12Delimiters.Show(c)}' inside \"{Shorten(raw)}\" (X12 data uses printable characters only)", number, FirstId(raw));
        var parts = raw.Split(d.Element);
        var id = parts[0];
        if (!IsSegmentId(id))
            throw new X12FormatException($"\"{Shorten(id)}\" is not a segment identifier (2 or 3 upper-case letters or digits, starting with a letter) in \"{Shorten(raw)}\"", number);
        return new X12Segment(id, parts[1..], d, number);
    }

    private static (X12Segment Isa, X12Delimiters Delimiters) ReadIsa(string text, int start, int number)
    {
        if (start + 3 >= text.Length)
            throw new X12FormatException("the input ends inside the ISA segment (ISA is fixed-width, 106 characters): the file is truncated", number, "ISA");
        var elementSeparator = text[start + 3];
        if (char.IsLetterOrDigit(elementSeparator) || char.IsWhiteSpace(elementSeparator))
            throw new X12FormatException($"'{X12Delimiters.Show(elementSeparator)}' after \"ISA\" cannot be the element separator", number, "ISA");

        var elements = new string[16];
        var pos = start + 3;
        for (var e = 0; e < 16; e++)
        {
            var name = $"ISA{e + 1:00}";
            if (pos >= text.Length || text[pos] != elementSeparator)
                throw new X12FormatException($"the ISA segment is malformed before {name} (expected the element separator '{X12Delimiters.Show(elementSeparator)}')", number, "ISA");
            pos++;
            var width = IsaWidths[e];
            if (pos + width > text.Length)
                throw new X12FormatException($"the input ends inside {name}: the ISA segment is truncated (ISA is fixed-width, 106 characters)", number, "ISA");
            if (e < 15)
            {
                var next = text.IndexOf(elementSeparator, pos);
                var actual = next < 0 ? text.Length - pos : next - pos;
                if (actual != width)
                    throw new X12FormatException(
                        $"{name} must be exactly {width} characters (found {actual}: \"{Shorten(text.Substring(pos, Math.Min(actual, 20)))}\"); ISA is a fixed-width segment of 106 characters",
                        number, "ISA");
            }
            elements[e] = text.Substring(pos, width);
            pos += width;
        }
        if (pos >= text.Length)
            throw new X12FormatException("the input ends right after ISA16: there is no segment terminator", number, "ISA");
        var terminator = text[pos];

        var version = elements[11];
        if (version.Length != 5 || !version.All(char.IsAsciiDigit))
            throw new X12FormatException($"ISA12 (interchange control version) must be five digits, found \"{version}\"", number, "ISA");
        // ISA11 became the repetition separator in version 00402; before that it is the standards identifier "U". Many
        // 00501 senders still write "U" there: a letter or digit cannot be a delimiter, so it means no repetition separator.
        var isa11 = elements[10][0];
        var repetition = string.CompareOrdinal(version, "00402") >= 0 && !char.IsLetterOrDigit(isa11) ? isa11 : X12Delimiters.NoRepetition;
        var delimiters = new X12Delimiters(elementSeparator, repetition, elements[15][0], terminator);
        if (delimiters.Problem() is { } problem)
            throw new X12FormatException($"unusable delimiters declared by the ISA: {problem}", number, "ISA");
        // A delimiter or a control character inside a data element makes the interchange ambiguous (X12.6: delimiters
        // must not occur in data); ISA11 and ISA16 are the delimiters themselves.
        for (var e = 0; e < 15; e++)
        {
            if (e == 10) continue;
            foreach (var c in elements[e])
                if (char.IsControl(c) || delimiters.IsDelimiter(c))
                    throw new X12FormatException($"ISA{e + 1:00} contains '{X12Delimiters.Show(c)}', which is a delimiter or a control character", number, "ISA");
        }
        return (new X12Segment("ISA", elements, delimiters, number), delimiters);
    }

    private static X12Interchange ReadInterchange(IReadOnlyList<X12Segment> s, ref int i)
    {
        var isa = s[i];
        if (isa.Id != "ISA")
            throw new X12FormatException("expected an ISA interchange header here (the previous interchange ended with IEA)", isa);
        var control = isa[13];
        if (control.Length != 9 || !control.All(char.IsAsciiDigit))
            throw new X12FormatException($"ISA13 (interchange control number) must be nine digits, found \"{control}\"", isa);
        if (isa[14] is not ("0" or "1"))
            throw new X12FormatException($"ISA14 (acknowledgment requested) must be 0 or 1, found \"{isa[14]}\"", isa);
        if (isa[15] is not ("P" or "T"))
            throw new X12FormatException($"ISA15 (usage indicator) must be P or T, found \"{isa[15]}\"", isa);
        if (!DateTime.TryParseExact(isa[9] + isa[10], "yyMMddHHmm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var created))
            throw new X12FormatException($"ISA09/ISA10 \"{isa[9]}\"/\"{isa[10]}\" is not a valid date (YYMMDD) and time (HHMM)", isa);

        i++;
        var groups = new List<X12FunctionalGroup>();
        var acknowledgments = new List<X12Segment>();
        while (true)
        {
            if (i >= s.Count)
                throw new X12FormatException($"interchange {control} has no IEA trailer: the input ends after segment {s[^1].Position} ({s[^1].Id})");
            var seg = s[i];
            switch (seg.Id)
            {
                case "TA1":
                    acknowledgments.Add(seg);
                    i++;
                    break;
                case "GS":
                    groups.Add(ReadGroup(s, ref i, control));
                    break;
                case "IEA":
                    if (!int.TryParse(seg[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count != groups.Count)
                        throw new X12FormatException($"IEA01 says {seg[1]} functional group(s) but interchange {control} holds {groups.Count}", seg);
                    if (seg[2] != control)
                        throw new X12FormatException($"IEA02 \"{seg[2]}\" does not match the ISA13 interchange control number \"{control}\"", seg);
                    i++;
                    return new X12Interchange(isa.Delimiters, isa, seg, created, acknowledgments, groups);
                case "ISA":
                    throw new X12FormatException($"a new interchange starts before interchange {control} was closed with IEA", seg);
                default:
                    throw new X12FormatException($"{seg.Id} is outside any functional group (expected GS, TA1 or IEA in interchange {control})", seg);
            }
        }
    }

    private static X12FunctionalGroup ReadGroup(IReadOnlyList<X12Segment> s, ref int i, string interchange)
    {
        var gs = s[i];
        var control = gs[6];
        if (control.Length is < 1 or > 9 || !control.All(char.IsAsciiDigit))
            throw new X12FormatException($"GS06 (group control number) must be 1 to 9 digits, found \"{control}\"", gs);
        if (gs[1].Length != 2)
            throw new X12FormatException($"GS01 (functional identifier code) must be two characters, found \"{gs[1]}\"", gs);
        if (!gs.Has(8))
            throw new X12FormatException("GS08 (version / release / industry identifier code) is missing", gs);
        i++;
        var sets = new List<X12TransactionSet>();
        while (true)
        {
            if (i >= s.Count)
                throw new X12FormatException($"functional group {control} has no GE trailer: the input ends after segment {s[^1].Position} ({s[^1].Id})");
            var seg = s[i];
            switch (seg.Id)
            {
                case "ST":
                    sets.Add(ReadTransactionSet(s, ref i));
                    break;
                case "GE":
                    if (!int.TryParse(seg[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count != sets.Count)
                        throw new X12FormatException($"GE01 says {seg[1]} transaction set(s) but functional group {control} holds {sets.Count}", seg);
                    // GS06 and GE02 are numeric (N0): compare values, not text.
                    if (!long.TryParse(seg[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ge) || ge != long.Parse(control, CultureInfo.InvariantCulture))
                        throw new X12FormatException($"GE02 \"{seg[2]}\" does not match the GS06 group control number \"{control}\"", seg);
                    i++;
                    var group = new X12FunctionalGroup(gs, seg, sets);
                    foreach (var set in sets) set.Group = group;
                    return group;
                case "GS" or "IEA" or "ISA":
                    throw new X12FormatException($"functional group {control} is not closed with GE before {seg.Id}", seg);
                default:
                    throw new X12FormatException($"{seg.Id} is outside any transaction set (expected ST or GE in functional group {control} of interchange {interchange})", seg);
            }
        }
    }

    private static X12TransactionSet ReadTransactionSet(IReadOnlyList<X12Segment> s, ref int i)
    {
        var st = s[i];
        var control = st[2];
        if (st[1].Length != 3)
            throw new X12FormatException($"ST01 (transaction set identifier) must be three characters, found \"{st[1]}\"", st);
        if (control.Length is < 4 or > 9)
            throw new X12FormatException($"ST02 (transaction set control number) must be 4 to 9 characters, found \"{control}\"", st);
        var start = i;
        i++;
        while (true)
        {
            if (i >= s.Count)
                throw new X12FormatException($"transaction set {st[1]} {control} has no SE trailer: the input ends after segment {s[^1].Position} ({s[^1].Id})");
            var seg = s[i];
            if (seg.Id is "ST" or "GE" or "GS" or "IEA" or "ISA")
                throw new X12FormatException($"transaction set {st[1]} {control} has no SE trailer before {seg.Id}", seg);
            i++;
            if (seg.Id != "SE") continue;
            var included = i - start;
            if (!int.TryParse(seg[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count != included)
                throw new X12FormatException($"SE01 says {seg[1]} segments but transaction set {control} has {included} (ST to SE inclusive)", seg);
            if (seg[2] != control)
                throw new X12FormatException($"SE02 \"{seg[2]}\" does not match the ST02 transaction set control number \"{control}\"", seg);
            return new X12TransactionSet(null, s.Skip(start).Take(included).ToArray());
        }
    }

    internal static bool IsSegmentId(string id) =>
        id.Length is 2 or 3 && char.IsAsciiLetterUpper(id[0]) && id.Skip(1).All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c));

    private static bool IsIsaAt(string text, int pos) => string.CompareOrdinal(text, pos, "ISA", 0, 3) == 0;

    private static int SkipWhitespace(string text, int pos)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
        return pos;
    }

    private static string FirstLine(string text, int pos)
    {
        var end = text.IndexOfAny(['\r', '\n'], pos);
        return Shorten(end < 0 ? text[pos..] : text[pos..end]);
    }

    private static string? FirstId(string text)
    {
        var id = new string(text.TakeWhile(char.IsAsciiLetterOrDigit).ToArray());
        return IsSegmentId(id) ? id : null;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
