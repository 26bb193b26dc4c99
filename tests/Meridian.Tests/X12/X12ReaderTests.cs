using Meridian.X12;

namespace Meridian.Tests.X12;

public sealed class X12ReaderTests
{
    private const string Isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250314*0926*^*00501*000000042*0*T*:~";

    private static string Interchange(string body, int segments, string seTrailer = "0001", string geCount = "1", string ieaControl = "000000042") =>
        Isa + "GS*HS*SENDER*RECEIVER*20250314*0926*42*X*005010X279A1~ST*270*0001*005010X279A1~" + body
        + $"SE*{segments}*{seTrailer}~GE*{geCount}*42~IEA*1*{ieaControl}~";

    private const string Body = "BHT*0022*13*REF1*20250314*0926~HL*1**20*1~NM1*PR*2*ACME*****PI*87726~";

    [Fact]
    public void A_well_formed_interchange_reads_with_its_envelope_values_and_element_access()
    {
        var interchange = X12Reader.Read(Interchange(Body, 5));

        Assert.Equal("SENDER", interchange.SenderId);
        Assert.Equal("RECEIVER", interchange.ReceiverId);
        Assert.Equal("000000042", interchange.ControlNumber);
        Assert.True(interchange.IsTest);
        Assert.Equal(new DateTime(2025, 3, 14, 9, 26, 0), interchange.CreatedAt);
        Assert.Equal(new X12Delimiters('*', '^', ':', '~'), interchange.Delimiters);
        var set = Assert.Single(interchange.TransactionSets);
        Assert.Equal("270", set.Id);
        Assert.Equal("005010X279A1", set.ImplementationReference);
        var nm1 = set.Body.Single(s => s.Id == "NM1");
        Assert.Equal("87726", nm1[9]);
        Assert.Equal("", nm1[4]);
        Assert.Equal("", nm1[20]);
        Assert.Null(nm1.Optional(4));
        Assert.Equal(6, nm1.Position);
        Assert.Equal(4, set.PositionInTransaction(nm1));
    }

    [Fact]
    public void Components_and_repetitions_use_the_separators_the_ISA_declares()
    {
        // ISA11 '!' repetition and ISA16 '>' component separator, '|' element separator, newline segment terminator.
        var text = "ISA|00|          |00|          |ZZ|SENDER         |ZZ|RECEIVER       |250314|0926|!|00501|000000001|0|P|>\n"
                   + "GS|HB|S|R|20250314|0926|1|X|005010X279A1\nST|271|0001|005010X279A1\nEB|1||1!33!98||PLAN\nSV1|HC>99213>25|10\nSE|4|0001\nGE|1|1\nIEA|1|000000001\n";
        var interchange = X12Reader.Read(text);

        Assert.Equal(new X12Delimiters('|', '!', '>', '\n'), interchange.Delimiters);
        var body = interchange.TransactionSets.Single().Body.ToList();
        Assert.Equal(["1", "33", "98"], body[0].Repetitions(3));
        Assert.Equal("99213", body[1].Component(1, 2));
        Assert.Equal(["HC", "99213", "25"], body[1].Components(1));
    }

    [Fact]
    public void A_byte_order_mark_and_line_breaks_after_terminators_are_tolerated()
    {
        var text = "\uFEFF" + Interchange(Body, 5).Replace("~", "~\r\n") + "\r\n\r\n";
        var interchange = X12Reader.Read(text);
        Assert.Equal(5, interchange.TransactionSets.Single().Segments.Count);
    }

    [Fact]
    public void An_interchange_before_version_00402_has_no_repetition_separator()
    {
        var text = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250314*0926*U*00401*000000001*0*P*:~"
                   + "GS*HS*S*R*20250314*0926*1*X*004010X092A1~ST*270*0001~EQ*30^1~SE*3*0001~GE*1*1~IEA*1*000000001~";
        var eq = X12Reader.Read(text).TransactionSets.Single().Body.Single();
        Assert.Equal(X12Delimiters.NoRepetition, eq.Delimiters.Repetition);
        Assert.Equal(["30^1"], eq.Repetitions(1));
    }

    [Fact]
    public void A_letter_in_ISA11_of_a_00501_interchange_means_no_repetition_separator()
    {
        // Many 00501 senders keep the 00401 standards identifier "U" in ISA11; a letter cannot be a delimiter.
        var text = Interchange(Body, 5).Replace("*0926*^*00501*", "*0926*U*00501*");
        Assert.Equal(X12Delimiters.NoRepetition, X12Reader.Read(text).Delimiters.Repetition);
    }

    [Fact]
    public void Several_interchanges_in_one_input_are_read_in_order()
    {
        var second = Interchange(Body, 5).Replace("000000042", "000000043");
        var all = X12Reader.ReadAll(Interchange(Body, 5) + "\n" + second);
        Assert.Equal(["000000042", "000000043"], all.Select(i => i.ControlNumber));
        var error = Assert.Throws<X12FormatException>(() => X12Reader.Read(Interchange(Body, 5) + second));
        Assert.Contains("expected one interchange but the input holds 2", error.Message);
    }

    [Theory]
    [InlineData("", "the input is empty")]
    [InlineData(" \r\n\t", "the input is empty")]
    [InlineData("\uFEFF", "the input is empty")]
    [InlineData("GS*HS*S*R*20250314*0926*1*X*005010X279A1~", "does not start with an ISA interchange header")]
    [InlineData("ISA*00*          *00*   ", "the input ends inside ISA04: the ISA segment is truncated")]
    [InlineData("ISA*00*         *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250314*0926*^*00501*000000042*0*T*:~", "ISA02 must be exactly 10 characters (found 9")]
    [InlineData("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250314*0926*^*00501*000000042*0*T*:", "no segment terminator")]
    [InlineData("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250314*0926*^*00501*000000042*0*T*:*", "the delimiters must be distinct")]
    [InlineData("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250314*0926*^*00501*000000042*0*T*AX", "'A' cannot be a delimiter")]
    [InlineData("ISAA00A          A00A          AZZASENDER         AZZARECEIVER       A250314A0926A^A00501A000000042A0ATA:~", "cannot be the element separator")]
    [InlineData("ISA*00*          *00*          *ZZ*SEND:ER        *ZZ*RECEIVER       *250314*0926*^*00501*000000042*0*T*:~", "ISA06 contains ':', which is a delimiter")]
    [InlineData("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER\t      *250314*0926*^*00501*000000042*0*T*:~", "ISA08 contains '\\t'")]
    public void Input_without_a_usable_ISA_is_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<X12FormatException>(() => X12Reader.ReadSegments(text));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void A_file_cut_off_inside_a_segment_is_refused_as_truncated()
    {
        var text = Interchange(Body, 5);
        var error = Assert.Throws<X12FormatException>(() => X12Reader.Read(text[..^10]));
        Assert.Contains("truncated", error.Message);
        Assert.Equal("IEA", error.SegmentId);
    }

    [Fact]
    public void A_malformed_segment_identifier_names_its_position()
    {
        var error = Assert.Throws<X12FormatException>(() => X12Reader.Read(Interchange(Body.Replace("NM1*PR", "Nm1*PR"), 5)));
        Assert.Equal(6, error.SegmentPosition);
        Assert.StartsWith("X12 segment 6: \"Nm1\" is not a segment identifier", error.Message);
        var empty = Assert.Throws<X12FormatException>(() => X12Reader.Read(Interchange(Body + "~", 6)));
        Assert.Contains("empty segment", empty.Message);
    }

    [Fact]
    public void A_control_character_inside_a_segment_is_refused_with_its_position()
    {
        var error = Assert.Throws<X12FormatException>(() => X12Reader.Read(Interchange(Body.Replace("ACME", "AC\u0001ME"), 5)));
        Assert.Equal((6, "NM1"), (error.SegmentPosition, error.SegmentId));
        Assert.Contains("control character '\\u0001'", error.Message);
    }

    [Theory]
    [InlineData(6, "0001", "1", "000000042", "SE01 says 6 segments but transaction set 0001 has 5 (ST to SE inclusive)")]
    [InlineData(5, "0002", "1", "000000042", "SE02 \"0002\" does not match the ST02 transaction set control number \"0001\"")]
    [InlineData(5, "0001", "2", "000000042", "GE01 says 2 transaction set(s) but functional group 42 holds 1")]
    [InlineData(5, "0001", "1", "000000043", "IEA02 \"000000043\" does not match the ISA13 interchange control number \"000000042\"")]
    public void Wrong_trailer_counts_and_control_numbers_are_refused(int seCount, string seControl, string geCount, string ieaControl, string reason)
    {
        var error = Assert.Throws<X12FormatException>(() => X12Reader.Read(Interchange(Body, seCount, seControl, geCount, ieaControl)));
        Assert.Contains(reason, error.Message);
        Assert.NotNull(error.SegmentPosition);
    }

    [Fact]
    public void Missing_trailers_and_segments_outside_the_envelope_are_refused()
    {
        var noSe = Isa + "GS*HS*S*R*20250314*0926*42*X*005010X279A1~ST*270*0001*005010X279A1~" + Body + "GE*1*42~IEA*1*000000042~";
        Assert.Contains("has no SE trailer before GE", Assert.Throws<X12FormatException>(() => X12Reader.Read(noSe)).Message);

        var noIea = Interchange(Body, 5)[..^"IEA*1*000000042~".Length];
        Assert.Contains("interchange 000000042 has no IEA trailer", Assert.Throws<X12FormatException>(() => X12Reader.Read(noIea)).Message);

        var stray = Isa + "BHT*0022*13~IEA*0*000000042~";
        Assert.Contains("BHT is outside any functional group", Assert.Throws<X12FormatException>(() => X12Reader.Read(stray)).Message);

        var badDate = Interchange(Body, 5).Replace("*250314*0926*", "*251314*0926*");
        Assert.Contains("is not a valid date", Assert.Throws<X12FormatException>(() => X12Reader.Read(badDate)).Message);
    }
}
