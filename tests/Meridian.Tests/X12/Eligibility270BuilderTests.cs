using Meridian.SharedKernel.Errors;
using Meridian.X12;
using Meridian.X12.Eligibility;

namespace Meridian.Tests.X12;

public sealed class Eligibility270BuilderTests
{
    private readonly Eligibility270Builder _builder = new(new FixedZoneClock(X12Samples.Now));

    [Fact]
    public void A_subscriber_inquiry_has_the_guide_s_loops_in_order()
    {
        var x12 = _builder.Build(X12Samples.Subscriber(), 17);

        Assert.Equal(
        [
            "ISA*00*          *00*          *ZZ*MERIDIANCLINIC *ZZ*CLEARINGHOUSE  *250314*0926*^*00501*000000017*0*P*:",
            "GS*HS*MERIDIANCLINIC*CLEARINGHOUSE*20250314*0926*17*X*005010X279A1",
            "ST*270*0001*005010X279A1",
            "BHT*0022*13*TRC-0001*20250314*0926",
            "HL*1**20*1", // 2000A information source
            "NM1*PR*2*ACME HEALTH PLAN*****PI*87726",
            "HL*2*1*21*1", // 2000B information receiver
            "NM1*1P*2*RIVERSIDE FAMILY PRACTICE*****XX*1234567893",
            "HL*3*2*22*0", // 2000C subscriber, no dependent level
            "TRN*1*TRC-0001*9MERIDIANC",
            "NM1*IL*1*MULLER-DIAZ*ANA****MI*W123456789", // names upper-cased, diacritics removed
            "REF*6P*GRP-100",
            "DMG*D8*19800615*F",
            "DTP*291*D8*20250315",
            "EQ*30", // the default service type
            "SE*14*0001",
            "GE*1*17",
            "IEA*1*000000017",
        ], X12Samples.Lines(x12));
    }

    [Fact]
    public void A_dependent_inquiry_puts_trace_demographics_date_and_service_types_on_the_dependent()
    {
        var inquiry = X12Samples.Dependent() with { ServiceTypeCodes = ["30", "98"], ProviderName = "Okafor", ProviderFirstName = "Chidi" };
        var x12 = _builder.Build(inquiry, 18, X12Usage.Test);

        Assert.Equal(
        [
            "ST*270*0001*005010X279A1",
            "BHT*0022*13*TRC-0002*20250314*0926",
            "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH PLAN*****PI*87726",
            "HL*2*1*21*1",
            "NM1*1P*1*OKAFOR*CHIDI****XX*1234567893", // a person: NM102 1 with first name
            "HL*3*2*22*1", // HL04 1: the dependent level follows
            "NM1*IL*1*MULLER*ANA****MI*W123456789",
            "REF*6P*GRP-100",
            "DMG*D8*19800615*F",
            "HL*4*3*23*0", // 2000D dependent
            "TRN*1*TRC-0002*9MERIDIANC",
            "NM1*03*1*MULLER*LEO",
            "DMG*D8*20150201*M",
            "DTP*291*D8*20250315",
            "EQ*30",
            "EQ*98",
            "SE*18*0001",
        ], X12Samples.Lines(x12)[2..^2]);
        Assert.EndsWith("*0*T*:", X12Samples.Lines(x12)[0]);
    }

    [Fact]
    public void What_the_builder_writes_the_270_reader_reads_back()
    {
        var sent = X12Samples.Dependent() with { ServiceTypeCodes = ["30", "AL"], TraceAssigningEntityId = "1234567890" };
        var received = Assert.Single(Eligibility270Parser.Parse(_builder.Build(sent, 5), new DateOnly(2000, 1, 1)));
        var q = received.Inquiry;

        Assert.True(received.ServiceDateSent);
        Assert.Equal("TRC-0002", q.TraceNumber);
        Assert.Equal("1234567890", q.TraceAssigningEntityId);
        Assert.Equal(sent.Submitter, q.Submitter);
        Assert.Equal(sent.Receiver, q.Receiver);
        Assert.Equal(("ACME HEALTH PLAN", "87726", "RIVERSIDE FAMILY PRACTICE", X12Samples.Npi), (q.PayerName, q.PayerId, q.ProviderName, q.ProviderNpi));
        Assert.Equal(new EligibilitySubscriber("W123456789", "ANA", "MULLER", new DateOnly(1980, 6, 15), X12Gender.Female, "GRP-100"), q.Subscriber);
        Assert.Equal(new EligibilityDependent("LEO", "MULLER", new DateOnly(2015, 2, 1), X12Gender.Male), q.Dependent);
        Assert.Equal(sent.ServiceDate, q.ServiceDate);
        Assert.Equal(["30", "AL"], q.ServiceTypeCodes!);
    }

    [Fact]
    public void Every_problem_of_an_invalid_inquiry_is_reported_at_once_and_nothing_is_built()
    {
        var bad = X12Samples.Subscriber() with
        {
            TraceNumber = " ",
            ProviderNpi = "1234567890", // wrong check digit
            PayerId = "8*7",
            Subscriber = new EligibilitySubscriber("", "Ana", null, new DateOnly(2030, 1, 1), X12Gender.Unknown),
            ServiceTypeCodes = ["30", "ZZ"],
        };
        var error = Assert.Throws<ValidationFailedException>(() => _builder.Build(bad, 1));

        Assert.Equal(["is required."], error.Errors["TraceNumber"]);
        Assert.Contains("valid NPI", error.Errors["ProviderNpi"].Single());
        Assert.Contains("X12 delimiter", error.Errors["PayerId"].Single());
        Assert.Equal(["is required."], error.Errors["Subscriber.MemberId"]);
        Assert.Equal(["is required."], error.Errors["Subscriber.LastName"]);
        Assert.Equal(["must not be after the service date."], error.Errors["Subscriber.BirthDate"]);
        Assert.Contains("a 270 cannot send unknown", error.Errors["Subscriber.Gender"].Single());
        Assert.Contains("\"ZZ\" is not an X12 service type code", error.Errors["ServiceTypeCodes"].Single());
    }

    [Fact]
    public void The_patient_s_birth_date_and_names_are_required_but_a_dependent_s_subscriber_needs_only_the_member_id()
    {
        var noBirth = X12Samples.Subscriber() with { Subscriber = new EligibilitySubscriber("W1", "Ana", "Muller", null) };
        var error = Assert.Throws<ValidationFailedException>(() => _builder.Build(noBirth, 1));
        Assert.Equal(["is required when the subscriber is the patient."], error.Errors["Subscriber.BirthDate"]);

        var dependentOnly = X12Samples.Dependent() with { Subscriber = new EligibilitySubscriber("W123456789", null, null, null) };
        var lines = X12Samples.Lines(_builder.Build(dependentOnly, 1));
        Assert.Contains("NM1*IL*1******MI*W123456789", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("DMG*D8*1980", StringComparison.Ordinal));

        Assert.Throws<ValidationFailedException>(() => _builder.Build(X12Samples.Subscriber(), 0));
    }

    [Theory]
    [InlineData("1234567893", true)] // the CMS check-digit example
    [InlineData("1245319599", true)]
    [InlineData("1234567890", false)]
    [InlineData("123456789", false)]
    [InlineData("12345678931", false)]
    [InlineData("12345678a3", false)]
    [InlineData(null, false)]
    public void NPI_check_digits_are_Luhn_over_the_80840_prefix(string? npi, bool valid) => Assert.Equal(valid, Npi.IsValid(npi));
}
