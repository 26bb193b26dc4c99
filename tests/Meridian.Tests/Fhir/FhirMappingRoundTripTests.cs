using System.Text;
using System.Text.Json;
using Meridian.Fhir.Mapping;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;

namespace Meridian.Tests.Fhir;

/// <summary>
/// The FHIR mappers lose nothing Meridian keeps: rendering a record, parsing the JSON back and rendering again gives the
/// same bytes. Plus the conversions Parse makes on real-world input (full US state names, deceased flags).
/// </summary>
public sealed class FhirMappingRoundTripTests
{
    private static readonly PatientId Id = new(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
    private static readonly DateTimeOffset Updated = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    public static TheoryData<string, PatientDetails> Patients => new()
    {
        { "minimal", new PatientDetails(new PersonName("Solo", ["Han"]), new DateOnly(1977, 5, 25), "male") },
        { "full", new PatientDetails(
            LegalName: new PersonName("O'Neil-Ñúñez", ["Maria", "José"], "Dr.", "Jr.", "official"),
            BirthDate: new DateOnly(1960, 2, 29),
            Gender: "other",
            PreferredName: new PersonName("Núñez", ["Pepa"], Use: "usual"),
            BirthSex: "F",
            GenderIdentity: new Coding("http://snomed.info/sct", "446141000124107", "Identifies as female gender"),
            Race: [new Coding(CodeSystems.CdcRaceEthnicity, "2106-3", "White"), new Coding(CodeSystems.CdcRaceEthnicity, "2108-9", "European")],
            RaceText: "White European",
            Ethnicity: [new Coding(CodeSystems.CdcRaceEthnicity, "2135-2", "Hispanic or Latino"), new Coding(CodeSystems.CdcRaceEthnicity, "2148-5", "Mexican")],
            EthnicityText: "Mexican",
            PreferredLanguage: new Coding(CodeSystems.Bcp47, "es-MX", "Spanish (Mexico)"),
            Addresses: [new PostalAddress(["1 Main St", "Unit <2>"], "Springfield", "IL", "62701-1234", "US", "home", new DateOnly(2001, 1, 1)),
                        new PostalAddress(["PO Box 9"], "Toronto", "ON", "M5V 2T6", "CA", "billing", null, new DateOnly(2030, 1, 1))],
            Telecom: [new ContactPoint("phone", "(555) 010-0000", "mobile", 1), new ContactPoint("email", "maria@example.org", "home"), new ContactPoint("sms", "+1 555 010 0001")],
            EmergencyContact: new EmergencyContact("Pat \"PJ\" Doe", new Coding("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "SPS", "spouse"), "555-0101", "pat@example.org"),
            DeceasedDate: new DateOnly(2024, 12, 31)) },
        { "nickname and no relationship", new PatientDetails(new PersonName("Lee", ["Ann"]), new DateOnly(2000, 1, 1), "unknown",
            PreferredName: new PersonName("", ["Annie"], Use: "nickname"),
            Race: [new Coding(CodeSystems.NullFlavor, "UNK", "Unknown")],
            EmergencyContact: new EmergencyContact("Bo Lee", null, "555-0199", null)) },
    };

    [Theory]
    [MemberData(nameof(Patients))]
    public void A_patient_rendered_parsed_and_rendered_again_is_byte_identical(string name, PatientDetails details)
    {
        var snapshot = new PatientSnapshot(Id, "M0000042", 3, Updated, true, null, details, []);
        var first = PatientMapper.Render(snapshot);
        using var doc = JsonDocument.Parse(first);
        var parsed = PatientMapper.Parse(doc.RootElement, null);
        var second = PatientMapper.Render(snapshot with { Details = parsed });
        Assert.True(first.AsSpan().SequenceEqual(second), $"{name}:\n{Encoding.UTF8.GetString(first)}\n{Encoding.UTF8.GetString(second)}");
    }

    [Fact]
    public void Parsing_keeps_what_fhir_cannot_carry_from_the_existing_record()
    {
        var existing = new PatientDetails(new PersonName("Keep", ["Kim"]), new DateOnly(1990, 1, 1), "female",
            ContactPreferences: new ContactPreferences("sms", AllowEmail: false), Guarantor: new Guarantor("parent", new PersonName("Keep", ["Kay"])));
        var json = PatientMapper.Render(new PatientSnapshot(Id, "M1", 1, Updated, true, null, existing, []));
        using var doc = JsonDocument.Parse(json);
        var parsed = PatientMapper.Parse(doc.RootElement, existing);
        Assert.Equal(existing.ContactPreferences, parsed.ContactPreferences);
        Assert.Equal(existing.Guarantor, parsed.Guarantor);
    }

    public static TheoryData<string, CoverageDetails> Coverages => new()
    {
        { "self, minimal", new CoverageDetails(1, "Medicare", null, null, "1EG4-TE5-MK73", null, "self", null, null, null, null) },
        { "spouse subscriber", new CoverageDetails(2, "Aetna", "60054", "Choice POS II", "W123456789", "GRP-0042", "spouse",
            new PersonName("Doe", ["Pat", "J"], Use: "official"), new DateOnly(1970, 1, 2), new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)) },
        { "child of a parent", new CoverageDetails(3, "Cigna & Co <West>", "62308", null, "U99", null, "child",
            new PersonName("Parent", ["Pam"]), null, null, new DateOnly(2025, 6, 30)) },
    };

    [Theory]
    [MemberData(nameof(Coverages))]
    public void A_coverage_rendered_parsed_and_rendered_again_is_byte_identical(string name, CoverageDetails details)
    {
        var snapshot = new CoverageSnapshot(new CoverageId(Guid.CreateVersion7()), Id, 2, Updated, true, details);
        var first = CoverageMapper.Render(snapshot);
        using var doc = JsonDocument.Parse(first);
        var (patient, parsed) = CoverageMapper.Parse(doc.RootElement);
        Assert.Equal(Id, patient);
        var second = CoverageMapper.Render(snapshot with { Details = parsed });
        Assert.True(first.AsSpan().SequenceEqual(second), $"{name}:\n{Encoding.UTF8.GetString(first)}\n{Encoding.UTF8.GetString(second)}");
    }

    private static PatientDetails ParsePatient(string json, PatientDetails? existing = null)
    {
        using var doc = JsonDocument.Parse(json);
        return PatientMapper.Parse(doc.RootElement, existing);
    }

    [Theory]
    [InlineData("Massachusetts", "MA")]
    [InlineData("new york", "NY")]
    [InlineData("District of Columbia", "DC")]
    [InlineData("Puerto Rico", "PR")]
    [InlineData("ma", "MA")]
    [InlineData("Narnia", "Narnia")]
    public void A_full_us_state_name_becomes_its_usps_code(string state, string expected)
    {
        var d = ParsePatient($$"""{"resourceType":"Patient","name":[{"family":"A","given":["B"]}],"gender":"male","birthDate":"1980-01-01","address":[{"city":"X","state":"{{state}}","country":"US"}]}""");
        Assert.Equal(expected, d.Addresses![0].State);
    }

    [Fact]
    public void A_state_outside_the_us_is_kept_as_sent()
    {
        var d = ParsePatient("""{"resourceType":"Patient","name":[{"family":"A","given":["B"]}],"gender":"male","birthDate":"1980-01-01","address":[{"city":"X","state":"Ontario","country":"CA"}]}""");
        Assert.Equal("Ontario", d.Addresses![0].State);
    }

    [Fact]
    public void An_update_without_a_deceased_element_clears_the_date_of_death_because_put_replaces_the_resource()
    {
        var existing = new PatientDetails(new PersonName("A", ["B"]), new DateOnly(1930, 1, 1), "male", DeceasedDate: new DateOnly(2020, 5, 5));
        var d = ParsePatient("""{"resourceType":"Patient","name":[{"family":"A","given":["B"]}],"gender":"male","birthDate":"1930-01-01"}""", existing);
        Assert.Null(d.DeceasedDate);
    }

    [Fact]
    public void Deceased_true_keeps_the_recorded_date_and_is_refused_when_there_is_none()
    {
        const string json = """{"resourceType":"Patient","name":[{"family":"A","given":["B"]}],"gender":"male","birthDate":"1930-01-01","deceasedBoolean":true}""";
        var existing = new PatientDetails(new PersonName("A", ["B"]), new DateOnly(1930, 1, 1), "male", DeceasedDate: new DateOnly(2020, 5, 5));
        Assert.Equal(new DateOnly(2020, 5, 5), ParsePatient(json, existing).DeceasedDate);
        var e = Assert.Throws<ValidationFailedException>(() => ParsePatient(json));
        Assert.Contains("Patient.deceased", e.Errors.Keys);
    }

    [Fact]
    public void An_iso_639_1_language_becomes_the_same_bcp_47_tag_and_a_bcp_47_coding_wins()
    {
        var d = ParsePatient("""{"resourceType":"Patient","name":[{"family":"A","given":["B"]}],"gender":"male","birthDate":"1980-01-01","communication":[{"language":{"coding":[{"system":"http://id.loc.gov/vocabulary/iso639-1","code":"ar","display":"Arabic"}]}}]}""");
        Assert.Equal(new Coding(CodeSystems.Bcp47, "ar", "Arabic"), d.PreferredLanguage);
        d = ParsePatient("""{"resourceType":"Patient","name":[{"family":"A","given":["B"]}],"gender":"male","birthDate":"1980-01-01","communication":[{"language":{"coding":[{"system":"urn:x","code":"zz"},{"system":"urn:ietf:bcp:47","code":"pt-BR"}]}}]}""");
        Assert.Equal("pt-BR", d.PreferredLanguage!.Code);
    }
}
