namespace Meridian.X12;

/// <summary>
/// One ISA…IEA interchange as read, with its functional groups and transaction sets. The reader has already checked the
/// envelope: fixed-width ISA, GS/GE and ST/SE pairing, control numbers that match, and segment/group/transaction counts.
/// </summary>
public sealed class X12Interchange
{
    internal X12Interchange(X12Delimiters delimiters, X12Segment header, X12Segment trailer, DateTime createdAt,
        IReadOnlyList<X12Segment> interchangeAcknowledgments, IReadOnlyList<X12FunctionalGroup> groups)
    {
        Delimiters = delimiters;
        Header = header;
        Trailer = trailer;
        CreatedAt = createdAt;
        InterchangeAcknowledgments = interchangeAcknowledgments;
        Groups = groups;
    }

    public X12Delimiters Delimiters { get; }

    /// <summary>The ISA segment.</summary>
    public X12Segment Header { get; }

    /// <summary>The IEA segment.</summary>
    public X12Segment Trailer { get; }

    public string SenderQualifier => Header[5];

    /// <summary>ISA06 without its fixed-width padding.</summary>
    public string SenderId => Header[6].TrimEnd();

    public string ReceiverQualifier => Header[7];

    /// <summary>ISA08 without its fixed-width padding.</summary>
    public string ReceiverId => Header[8].TrimEnd();

    /// <summary>ISA09/ISA10, the sender's local date and time (X12 carries no zone).</summary>
    public DateTime CreatedAt { get; }

    /// <summary>ISA12, e.g. "00501".</summary>
    public string Version => Header[12];

    /// <summary>ISA13, nine digits.</summary>
    public string ControlNumber => Header[13];

    /// <summary>ISA14 = 1: the sender asks for a TA1.</summary>
    public bool AcknowledgmentRequested => Header[14] == "1";

    /// <summary>ISA15 = T: test data, not to be acted on as production.</summary>
    public bool IsTest => Header[15] == "T";

    /// <summary>TA1 segments carried directly in the interchange (an interchange acknowledgment).</summary>
    public IReadOnlyList<X12Segment> InterchangeAcknowledgments { get; }

    public IReadOnlyList<X12FunctionalGroup> Groups { get; }

    public IEnumerable<X12TransactionSet> TransactionSets => Groups.SelectMany(g => g.TransactionSets);
}

/// <summary>One GS…GE functional group.</summary>
public sealed class X12FunctionalGroup
{
    internal X12FunctionalGroup(X12Segment header, X12Segment trailer, IReadOnlyList<X12TransactionSet> transactionSets)
    {
        Header = header;
        Trailer = trailer;
        TransactionSets = transactionSets;
    }

    public X12Segment Header { get; }
    public X12Segment Trailer { get; }

    /// <summary>GS01: HS for 270, HB for 271, HC for 837, HP for 835, FA for 999.</summary>
    public string FunctionalIdentifierCode => Header[1];

    public string ApplicationSender => Header[2];
    public string ApplicationReceiver => Header[3];
    public string ControlNumber => Header[6];

    /// <summary>GS08, e.g. 005010X279A1.</summary>
    public string Version => Header[8];

    public IReadOnlyList<X12TransactionSet> TransactionSets { get; }
}

/// <summary>One ST…SE transaction set.</summary>
public sealed class X12TransactionSet
{
    internal X12TransactionSet(X12FunctionalGroup? group, IReadOnlyList<X12Segment> segments)
    {
        Segments = segments;
        Group = group;
    }

    /// <summary>The group, set once the group is complete.</summary>
    public X12FunctionalGroup? Group { get; internal set; }

    /// <summary>All segments from ST to SE inclusive.</summary>
    public IReadOnlyList<X12Segment> Segments { get; }

    public X12Segment Header => Segments[0];
    public X12Segment Trailer => Segments[^1];

    /// <summary>The segments between ST and SE.</summary>
    public IEnumerable<X12Segment> Body => Segments.Skip(1).Take(Segments.Count - 2);

    /// <summary>ST01: 270, 271, 837, 835, 999…</summary>
    public string Id => Header[1];

    public string ControlNumber => Header[2];

    /// <summary>ST03, or GS08 when ST03 is absent (ST03 is required in 005010 TR3s).</summary>
    public string ImplementationReference => Header.Optional(3) ?? Group?.Version ?? "";

    /// <summary>A segment's 1-based position within this transaction set (ST is 1), as 999 IK302 reports it.</summary>
    public int PositionInTransaction(X12Segment segment) => segment.Position - Header.Position + 1;
}
