namespace Meridian.X12;

/// <summary>
/// The input is not a well-formed X12 interchange, or not the transaction the caller expected. The message names the segment
/// (its 1-based position in the input and its identifier) and what is wrong, so a log line is enough to find the fault.
/// A reader never returns a partial result: it either returns the whole interchange or throws this.
/// </summary>
public class X12FormatException : Exception
{
    public X12FormatException(string problem, int? segmentPosition = null, string? segmentId = null)
        : base(Format(problem, segmentPosition, segmentId))
    {
        Problem = problem;
        SegmentPosition = segmentPosition;
        SegmentId = segmentId;
    }

    internal X12FormatException(string problem, X12Segment segment) : this(problem, segment.Position, segment.Id)
    {
    }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string Problem { get; }

    /// <summary>1-based position of the offending segment in the input (ISA is 1); null when the fault is not in one segment.</summary>
    public int? SegmentPosition { get; }

    public string? SegmentId { get; }

    private static string Format(string problem, int? position, string? id) => (position, id) switch
    {
        (null, null) => $"X12: {problem}",
        (null, _) => $"X12 {id} segment: {problem}",
        (_, null or "") => $"X12 segment {position}: {problem}",
        _ => $"X12 segment {position} ({id}): {problem}",
    };
}
