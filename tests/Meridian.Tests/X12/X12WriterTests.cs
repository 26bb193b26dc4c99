using Meridian.X12;

namespace Meridian.Tests.X12;

public sealed class X12WriterTests
{
    private static X12Writer Envelope(int control = 7)
    {
        var w = new X12Writer();
        w.BeginInterchange(new X12InterchangeHeader(new EdiParty("ZZ", "SUBMITTER", "APPSENDER"), new EdiParty("30", "123456789"), control,
            new DateTimeOffset(2025, 1, 2, 3, 4, 0, TimeSpan.Zero), X12Usage.Test, AcknowledgmentRequested: true));
        return w;
    }

    [Fact]
    public void The_envelope_has_a_fixed_width_ISA_and_trailers_with_counts_and_control_numbers()
    {
        var w = Envelope();
        w.BeginGroup("HS", 7, "005010X279A1");
        w.BeginTransaction("270", "0001", "005010X279A1");
        w.Segment("BHT", "0022", "13", "REF", "20250102", "0304");
        w.Segment("NM1", "PR", "2", "ACME", null, null, null, null, "PI", "87726", null, "");
        w.EndTransaction();
        w.BeginTransaction("270", "0002", "005010X279A1");
        w.Segment("BHT", "0022", "13");
        w.EndTransaction();
        w.EndGroup();
        w.EndInterchange();
        var text = w.ToString();

        var isa = text[..text.IndexOf('~')];
        Assert.Equal(105, isa.Length); // 106 with its terminator
        Assert.Equal("ISA*00*          *00*          *ZZ*SUBMITTER      *30*123456789      *250102*0304*^*00501*000000007*1*T*:", isa);
        Assert.Equal(
        [
            "GS*HS*APPSENDER*123456789*20250102*0304*7*X*005010X279A1",
            "ST*270*0001*005010X279A1", "BHT*0022*13*REF*20250102*0304", "NM1*PR*2*ACME*****PI*87726", "SE*4*0001",
            "ST*270*0002*005010X279A1", "BHT*0022*13", "SE*3*0002",
            "GE*2*7", "IEA*1*000000007",
        ], X12Samples.Lines(text)[1..]);
        // What the writer writes, the reader accepts with all its envelope checks.
        var read = X12Reader.Read(text);
        Assert.Equal(2, read.TransactionSets.Count());
        Assert.True(read.AcknowledgmentRequested);
    }

    [Fact]
    public void Values_holding_a_delimiter_are_refused_because_X12_cannot_escape_them()
    {
        var w = Envelope();
        w.BeginGroup("HS", 1, "005010X279A1");
        w.BeginTransaction("270", "0001", "005010X279A1");
        Assert.Contains("contains the delimiter '*'", Assert.Throws<ArgumentException>(() => w.Segment("NM1", "PR", "2", "A*B")).Message);
        Assert.Contains("contains the delimiter '~'", Assert.Throws<ArgumentException>(() => w.Segment("NM1", "PR", "2", "A~B")).Message);
        Assert.Throws<ArgumentException>(() => w.Composite("HC", "99:213"));
        Assert.Equal("HC:99213", w.Composite("HC", "99213", null));
        Assert.Equal("1^33^98", w.Repeat(["1", "33", "98"]));
        Assert.Throws<ArgumentException>(() => w.Segment("nm1", "PR"));
    }

    [Fact]
    public void Control_character_separators_are_written_in_composites_and_repetitions()
    {
        // X12 lets an interchange pick control characters (here US and RS) as its component and repetition separators.
        var w = new X12Writer(new X12Delimiters('*', '\u001E', '\u001F', '~'));
        w.BeginInterchange(new X12InterchangeHeader(new EdiParty("ZZ", "S"), new EdiParty("ZZ", "R"), 1, DateTimeOffset.UnixEpoch));
        w.BeginGroup("HB", 1, "005010X279A1");
        w.BeginTransaction("271", "0001", "005010X279A1");
        w.Segment("EB", "1", null, w.Repeat(["1", "33"]), null, null, null, null, null, null, null, null, null, w.Composite("HC", "99213"));
        w.EndTransaction();
        w.EndGroup();
        w.EndInterchange();

        var eb = X12Reader.Read(w.ToString()).TransactionSets.Single().Body.Single();
        Assert.Equal(["1", "33"], eb.Repetitions(3));
        Assert.Equal("99213", eb.Component(13, 2));
        Assert.Throws<ArgumentException>(() => new X12Writer().Repeat(["1\u0001"]));
    }

    [Fact]
    public void Out_of_order_calls_and_oversized_ISA_fields_are_refused()
    {
        var w = new X12Writer();
        Assert.Throws<InvalidOperationException>(() => w.BeginGroup("HS", 1, "005010X279A1"));
        Assert.Throws<ArgumentException>(() => w.BeginInterchange(new X12InterchangeHeader(new EdiParty("ZZ", "A-SENDER-ID-LONGER-THAN-15"),
            new EdiParty("ZZ", "R"), 1, DateTimeOffset.UnixEpoch)));
        var e = Envelope();
        e.BeginGroup("HS", 1, "005010X279A1");
        Assert.Throws<InvalidOperationException>(() => e.EndInterchange());
        Assert.Throws<InvalidOperationException>(() => e.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => Envelope(0));
    }
}
