using System.Globalization;
using System.Text;

namespace Meridian.X12;

/// <summary>An interchange sender or receiver: ISA05/ISA06 (or ISA07/ISA08) and the GS02/GS03 application code.</summary>
/// <param name="Qualifier">ISA05/ISA07 interchange ID qualifier: ZZ mutually defined, 30 federal tax id, 01 DUNS…</param>
/// <param name="Id">ISA06/ISA08, at most 15 characters (padded to 15 in the ISA).</param>
/// <param name="ApplicationCode">GS02/GS03 when it differs from <paramref name="Id"/>.</param>
public sealed record EdiParty(string Qualifier, string Id, string? ApplicationCode = null)
{
    public string GroupCode => ApplicationCode ?? Id;
}

/// <summary>ISA15: production or test data.</summary>
public enum X12Usage
{
    Production,
    Test,
}

/// <summary>The values of an ISA header that are not fixed by the writer.</summary>
/// <param name="ControlNumber">ISA13/IEA02, 1…999,999,999 (written as nine digits).</param>
/// <param name="CreatedAt">ISA09/ISA10 and the GS04/GS05 default: the clock time as given (X12 carries no zone).</param>
public sealed record X12InterchangeHeader(
    EdiParty Sender,
    EdiParty Receiver,
    int ControlNumber,
    DateTimeOffset CreatedAt,
    X12Usage Usage = X12Usage.Production,
    bool AcknowledgmentRequested = false,
    string Version = "00501");

/// <summary>
/// Writes interchanges: ISA (fixed-width), GS, ST … SE, GE, IEA with the trailers' counts and control numbers filled in.
/// Call the Begin/End methods in envelope order; anything out of order throws <see cref="InvalidOperationException"/>.
/// A value that contains one of the delimiters is refused (X12 5010 has no escape), as is an empty segment.
/// </summary>
public sealed class X12Writer
{
    private readonly StringBuilder _text = new();
    private readonly string _terminator;
    private X12InterchangeHeader? _interchange;
    private int _groupCount;
    private int? _groupControl;
    private int _transactionCount;
    private string? _transactionControl;
    private int _segmentCount;
    private bool _finished;

    /// <param name="lineBreakAfterSegment">Adds "\n" after each terminator, for files people read; readers tolerate it.</param>
    public X12Writer(X12Delimiters? delimiters = null, bool lineBreakAfterSegment = false)
    {
        Delimiters = delimiters ?? X12Delimiters.Default;
        if (Delimiters.Problem() is { } problem) throw new ArgumentException($"Unusable X12 delimiters: {problem}.", nameof(delimiters));
        if (Delimiters.Repetition == X12Delimiters.NoRepetition) throw new ArgumentException("Version 00501 needs a repetition separator.", nameof(delimiters));
        _terminator = Delimiters.Segment + (lineBreakAfterSegment ? "\n" : "");
    }

    public X12Delimiters Delimiters { get; }

    public void BeginInterchange(X12InterchangeHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (_interchange is not null || _finished) throw new InvalidOperationException("This writer already holds an interchange.");
        if (header.ControlNumber is < 1 or > 999_999_999)
            throw new ArgumentOutOfRangeException(nameof(header), header.ControlNumber, "ISA13 is a positive number of at most nine digits.");
        var d = Delimiters;
        string[] isa =
        [
            "00", new string(' ', 10), // ISA01/02: no authorization information
            "00", new string(' ', 10), // ISA03/04: no security information
            Fixed("ISA05", header.Sender.Qualifier, 2), Fixed("ISA06", header.Sender.Id, 15),
            Fixed("ISA07", header.Receiver.Qualifier, 2), Fixed("ISA08", header.Receiver.Id, 15),
            header.CreatedAt.ToString("yyMMdd", CultureInfo.InvariantCulture), header.CreatedAt.ToString("HHmm", CultureInfo.InvariantCulture),
            d.Repetition.ToString(), Fixed("ISA12", header.Version, 5),
            header.ControlNumber.ToString("D9", CultureInfo.InvariantCulture),
            header.AcknowledgmentRequested ? "1" : "0",
            header.Usage == X12Usage.Test ? "T" : "P",
            d.Component.ToString(),
        ];
        _text.Append("ISA").Append(d.Element).Append(string.Join(d.Element, isa)).Append(_terminator);
        _interchange = header;
    }

    /// <param name="functionalIdentifierCode">GS01: HS (270), HB (271), HC (837), HP (835), FA (999).</param>
    /// <param name="version">GS08, the implementation guide: 005010X279A1…</param>
    public void BeginGroup(string functionalIdentifierCode, int controlNumber, string version, DateTimeOffset? createdAt = null)
    {
        if (_interchange is null) throw new InvalidOperationException("BeginInterchange first.");
        if (_groupControl is not null) throw new InvalidOperationException("The previous functional group is not ended.");
        if (controlNumber is < 1 or > 999_999_999) throw new ArgumentOutOfRangeException(nameof(controlNumber), controlNumber, "GS06 is a positive number of at most nine digits.");
        var at = createdAt ?? _interchange.CreatedAt;
        _groupControl = controlNumber;
        _transactionCount = 0;
        WriteSegment("GS", functionalIdentifierCode, _interchange.Sender.GroupCode, _interchange.Receiver.GroupCode,
            at.ToString("yyyyMMdd", CultureInfo.InvariantCulture), at.ToString("HHmm", CultureInfo.InvariantCulture),
            controlNumber.ToString(CultureInfo.InvariantCulture), "X", version);
    }

    /// <param name="controlNumber">ST02, 4 to 9 characters, unique within the group.</param>
    public void BeginTransaction(string transactionSetId, string controlNumber, string? implementationReference)
    {
        if (_groupControl is null) throw new InvalidOperationException("BeginGroup first.");
        if (_transactionControl is not null) throw new InvalidOperationException("The previous transaction set is not ended.");
        if (controlNumber.Length is < 4 or > 9) throw new ArgumentException("ST02 must be 4 to 9 characters.", nameof(controlNumber));
        _transactionControl = controlNumber;
        _segmentCount = 0;
        Segment("ST", transactionSetId, controlNumber, implementationReference);
    }

    /// <summary>
    /// Writes a segment inside a transaction set. Null and empty elements are written as empty; trailing empty elements are
    /// dropped, as X12 requires (no trailing element separators).
    /// </summary>
    public void Segment(string id, params string?[] elements)
    {
        if (_transactionControl is null) throw new InvalidOperationException("Segments are written inside a transaction set (BeginTransaction first).");
        _segmentCount++;
        WriteSegment(id, elements);
    }

    /// <summary>A composite element (e.g. SV101 "HC:99213"), checked against the delimiters.</summary>
    public string Composite(params string?[] components)
    {
        foreach (var c in components) CheckValue(c, "component", allowComponent: false);
        var last = components.Length;
        while (last > 0 && string.IsNullOrEmpty(components[last - 1])) last--;
        return string.Join(Delimiters.Component, components.Take(last).Select(c => c ?? ""));
    }

    /// <summary>A repeated element (e.g. EB03 "1^33^98"), checked against the delimiters.</summary>
    public string Repeat(IEnumerable<string> repetitions)
    {
        var list = repetitions.ToList();
        foreach (var r in list) CheckValue(r, "repetition", allowComponent: true);
        return string.Join(Delimiters.Repetition, list);
    }

    public void EndTransaction()
    {
        if (_transactionControl is null) throw new InvalidOperationException("No transaction set to end.");
        // SE01 counts every segment from ST to SE inclusive.
        Segment("SE", (_segmentCount + 1).ToString(CultureInfo.InvariantCulture), _transactionControl);
        _transactionControl = null;
        _transactionCount++;
    }

    public void EndGroup()
    {
        if (_groupControl is null || _transactionControl is not null) throw new InvalidOperationException("No functional group to end, or a transaction set is still open.");
        WriteSegment("GE", _transactionCount.ToString(CultureInfo.InvariantCulture), _groupControl.Value.ToString(CultureInfo.InvariantCulture));
        _groupControl = null;
        _groupCount++;
    }

    public void EndInterchange()
    {
        if (_interchange is null || _groupControl is not null) throw new InvalidOperationException("No interchange to end, or a functional group is still open.");
        WriteSegment("IEA", _groupCount.ToString(CultureInfo.InvariantCulture), _interchange.ControlNumber.ToString("D9", CultureInfo.InvariantCulture));
        _interchange = null;
        _finished = true;
    }

    /// <summary>Writes a TA1 interchange acknowledgment of the interchange whose ISA is given (outside any group).</summary>
    /// <param name="status">TA104: A accepted, E accepted with errors, R rejected.</param>
    /// <param name="noteCode">TA105, e.g. 000 no error, 001 control numbers do not match, 022 invalid control structure.</param>
    public void InterchangeAcknowledgment(X12Segment acknowledgedIsa, char status, string noteCode)
    {
        ArgumentNullException.ThrowIfNull(acknowledgedIsa);
        if (acknowledgedIsa.Id != "ISA") throw new ArgumentException("A TA1 acknowledges an ISA segment.", nameof(acknowledgedIsa));
        if (_interchange is null || _groupControl is not null) throw new InvalidOperationException("TA1 goes inside an interchange, outside groups.");
        // TA101–TA103 repeat ISA13, ISA09 and ISA10 of the acknowledged interchange.
        WriteSegment("TA1", acknowledgedIsa[13], acknowledgedIsa[9], acknowledgedIsa[10], status.ToString(), noteCode);
    }

    /// <summary>The complete interchange text.</summary>
    public override string ToString()
    {
        if (!_finished) throw new InvalidOperationException("The interchange is not complete (EndInterchange).");
        return _text.ToString();
    }

    private void WriteSegment(string id, params string?[] elements)
    {
        if (!X12Reader.IsSegmentId(id)) throw new ArgumentException($"\"{id}\" is not a segment identifier.", nameof(id));
        var last = elements.Length;
        while (last > 0 && string.IsNullOrEmpty(elements[last - 1])) last--;
        if (last == 0 && id is not ("SE" or "GE" or "IEA")) throw new ArgumentException($"Segment {id} has no data.", nameof(elements));
        _text.Append(id);
        for (var e = 0; e < last; e++)
        {
            CheckValue(elements[e], $"{id}{e + 1:00}", allowComponent: true);
            _text.Append(Delimiters.Element).Append(elements[e]);
        }
        _text.Append(_terminator);
    }

    private void CheckValue(string? value, string what, bool allowComponent)
    {
        if (value is null) return;
        foreach (var c in value)
        {
            // Composite and repeated values carry the component and repetition separators, which may be control characters.
            if (allowComponent && (c == Delimiters.Component || c == Delimiters.Repetition)) continue;
            if (c == Delimiters.Element || c == Delimiters.Segment || (!allowComponent && (c == Delimiters.Component || c == Delimiters.Repetition)))
                throw new ArgumentException($"{what} \"{value}\" contains the delimiter '{X12Delimiters.Show(c)}', which X12 cannot escape.");
            if (char.IsControl(c))
                throw new ArgumentException($"{what} contains a control character.");
        }
    }

    private string Fixed(string name, string value, int width)
    {
        CheckValue(value, name, allowComponent: false);
        if (value.Length > width) throw new ArgumentException($"{name} \"{value}\" is longer than its fixed width of {width}.");
        return value.PadRight(width);
    }
}
