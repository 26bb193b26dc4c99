using System.Xml.Linq;
using Meridian.X12;

namespace Meridian.Tests.X12;

/// <summary>
/// Checks a 270 against the machine-readable 005010X279A1 map of pyx12 (shared/data/x12/maps-pyx12): every segment sits in a
/// loop that allows it, in the map's order and within its maximum use; required segments and loops are present; required
/// elements are filled, "not used" elements are empty, and coded elements hold one of the map's values. Loops are found
/// through the HL levels (20 → 2000A, 21 → 2000B, 22 → 2000C, 23 → 2000D), NM1 starting 2100x and EQ starting 2110x.
/// </summary>
internal sealed class Pyx12Map
{
    internal sealed record ElementDef(int Seq, string Id, string Usage, bool Composite, IReadOnlySet<string> ValidCodes);

    internal sealed record SegmentDef(string Id, string Usage, int Pos, int MaxUse, IReadOnlyList<ElementDef> Elements);

    internal sealed record LoopDef(string Id, string Usage, IReadOnlyList<SegmentDef> Segments);

    private readonly Dictionary<string, LoopDef> _loops = new(StringComparer.Ordinal);

    public static Pyx12Map Load(string path)
    {
        var map = new Pyx12Map();
        foreach (var loop in XDocument.Load(path).Descendants("loop"))
        {
            var segments = loop.Elements("segment").Select(s => new SegmentDef(
                (string)s.Attribute("xid")!,
                (string)s.Element("usage")!,
                int.Parse((string)s.Element("pos")!, System.Globalization.CultureInfo.InvariantCulture),
                (string?)s.Element("max_use") is { } max && int.TryParse(max, out var m) ? m : int.MaxValue,
                s.Elements().Where(e => e.Name == "element" || e.Name == "composite").Select(e => new ElementDef(
                    int.Parse((string)e.Element("seq")!, System.Globalization.CultureInfo.InvariantCulture),
                    (string)e.Attribute("xid")!,
                    (string)e.Element("usage")!,
                    e.Name == "composite",
                    e.Descendants("code").Select(c => c.Value).ToHashSet(StringComparer.Ordinal))).ToList())).ToList();
            map._loops[(string)loop.Attribute("xid")!] = new LoopDef((string)loop.Attribute("xid")!, (string)loop.Element("usage")!, segments);
        }
        return map;
    }

    public LoopDef Loop(string id) => _loops[id];

    /// <summary>Every violation found in the interchange's 270 transaction sets; empty when it conforms.</summary>
    public IReadOnlyList<string> Check270(X12Interchange interchange)
    {
        var problems = new List<string>();
        CheckElements(Loop("ISA_LOOP").Segments.Single(s => s.Id == "ISA"), interchange.Header, problems);
        foreach (var group in interchange.Groups)
        {
            CheckElements(Loop("GS_LOOP").Segments.Single(s => s.Id == "GS"), group.Header, problems);
            foreach (var set in group.TransactionSets)
            {
                CheckElements(Loop("ST_LOOP").Segments.Single(s => s.Id == "ST"), set.Header, problems);
                var body = set.Body.ToList();
                var firstHl = body.FindIndex(s => s.Id == "HL");
                CheckInstance(Loop("HEADER"), body.Take(firstHl).ToList(), problems);
                var levels = new List<List<X12Segment>>();
                foreach (var s in body.Skip(firstHl))
                {
                    if (s.Id == "HL") levels.Add([]);
                    levels[^1].Add(s);
                }
                foreach (var level in levels) CheckLevel(level, problems);
            }
        }
        return problems;
    }

    private void CheckLevel(List<X12Segment> level, List<string> problems)
    {
        var letter = level[0][3] switch { "20" => "A", "21" => "B", "22" => "C", "23" => "D", var x => throw new InvalidOperationException($"HL03 {x}") };
        var nameAt = level.FindIndex(s => s.Id == "NM1");
        if (nameAt < 0)
        {
            problems.Add($"HL {level[0][1]}: required loop 2100{letter} is missing");
            nameAt = level.Count;
        }
        CheckInstance(Loop("2000" + letter), level.Take(nameAt).ToList(), problems);
        var rest = level.Skip(nameAt).ToList();
        var firstEq = rest.FindIndex(s => s.Id == "EQ");
        CheckInstance(Loop("2100" + letter), (firstEq < 0 ? rest : rest.Take(firstEq)).ToList(), problems);
        var inquiries = new List<List<X12Segment>>();
        if (firstEq >= 0)
            foreach (var s in rest.Skip(firstEq))
            {
                if (s.Id == "EQ") inquiries.Add([]);
                inquiries[^1].Add(s);
            }
        if (_loops.TryGetValue("2110" + letter, out var inquiryLoop))
        {
            if (inquiryLoop.Usage == "R" && inquiries.Count == 0) problems.Add($"HL {level[0][1]}: required loop 2110{letter} is missing");
            foreach (var inquiry in inquiries) CheckInstance(inquiryLoop, inquiry, problems);
        }
    }

    private static void CheckInstance(LoopDef loop, List<X12Segment> segments, List<string> problems)
    {
        var lastPos = 0;
        var used = new Dictionary<SegmentDef, int>();
        foreach (var s in segments)
        {
            var candidates = loop.Segments.Where(d => d.Id == s.Id).ToList();
            // Segments used twice in a loop with different qualifiers (AMT*R, AMT*PB) are told apart by their first element.
            var def = candidates.FirstOrDefault(d => d.Elements.FirstOrDefault(e => e.Seq == 1) is not { ValidCodes.Count: > 0 } first || first.ValidCodes.Contains(s[1]))
                      ?? candidates.FirstOrDefault();
            if (def is null)
            {
                problems.Add($"segment {s.Position} {s.Id}: not allowed in loop {loop.Id}");
                continue;
            }
            if (def.Usage == "N") problems.Add($"segment {s.Position} {s.Id}: \"not used\" in loop {loop.Id}");
            if (def.Pos < lastPos) problems.Add($"segment {s.Position} {s.Id}: out of order in loop {loop.Id}");
            lastPos = def.Pos;
            used[def] = used.GetValueOrDefault(def) + 1;
            if (used[def] > def.MaxUse) problems.Add($"segment {s.Position} {s.Id}: used {used[def]} times in loop {loop.Id}, at most {def.MaxUse}");
            CheckElements(def, s, problems);
        }
        foreach (var missing in loop.Segments.Where(d => d.Usage == "R" && !used.ContainsKey(d)))
            problems.Add($"loop {loop.Id}: required segment {missing.Id} is missing");
    }

    private static void CheckElements(SegmentDef def, X12Segment s, List<string> problems)
    {
        var highest = def.Elements.Count == 0 ? 0 : def.Elements.Max(e => e.Seq);
        if (s.ElementCount > highest) problems.Add($"segment {s.Position} {s.Id}: {s.ElementCount} elements, the map defines {highest}");
        foreach (var e in def.Elements)
        {
            var value = s[e.Seq];
            if (e.Usage == "R" && value.Length == 0) problems.Add($"segment {s.Position} {s.Id}: required {e.Id} is empty");
            if (e.Usage == "N" && value.Length > 0) problems.Add($"segment {s.Position} {s.Id}: {e.Id} is \"not used\" but holds \"{value}\"");
            if (!e.Composite && e.ValidCodes.Count > 0 && value.Length > 0)
                foreach (var code in s.Repetitions(e.Seq).Where(code => !e.ValidCodes.Contains(code)))
                    problems.Add($"segment {s.Position} {s.Id}: {e.Id} \"{code}\" is not one of the map's codes");
        }
    }
}
