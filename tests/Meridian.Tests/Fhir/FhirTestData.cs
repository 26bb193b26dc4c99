using System.Net.Http.Headers;
using System.Text;
using Meridian.Fhir.Store;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Fhir;

internal static class FhirTestData
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    public static PatientSnapshot Patient(string family, string given, DateOnly birth, string gender = "female", string? mrn = null, int version = 1) =>
        new(new PatientId(Guid.CreateVersion7()), mrn ?? "MRN" + Random.Shared.Next(1_000_000, 9_999_999), version, DateTimeOffset.UtcNow, true, null,
            new PatientDetails(new PersonName(family, [given]), birth, gender,
                Race: [new Coding(CodeSystems.CdcRaceEthnicity, "2106-3", "White")],
                Ethnicity: [new Coding(CodeSystems.CdcRaceEthnicity, "2186-5", "Not Hispanic or Latino")],
                BirthSex: gender == "female" ? "F" : "M",
                PreferredLanguage: new Coding(CodeSystems.Bcp47, "en", "English"),
                Addresses: [new PostalAddress(["1 Main St"], "Springfield", "IL", "62701")],
                Telecom: [new ContactPoint("phone", "555-0100", "home")],
                EmergencyContact: new EmergencyContact("Pat Doe", new Coding("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "SPS", "spouse"), "555-0101", null)),
            []);

    public static CoverageSnapshot Coverage(PatientId patient, string memberId, int rank = 1) =>
        new(new CoverageId(Guid.CreateVersion7()), patient, 1, DateTimeOffset.UtcNow, true,
            new CoverageDetails(rank, "Acme Health", "ACME1", "Gold PPO", memberId, "GRP-7", "spouse", new PersonName("Doe", ["Pat"]),
                new DateOnly(1970, 1, 2), new DateOnly(2024, 1, 1), null));

    /// <summary>Saves snapshots through the real projection (as the Patients module does, inside its transaction).</summary>
    public static async Task ProjectAsync(MeridianApp app, PatientSnapshot patient, params CoverageSnapshot[] coverages)
    {
        await app.WithScopeAsync(async sp =>
        {
            var store = sp.GetRequiredService<FhirStore>();
            var observer = sp.GetServices<IPatientChangeObserver>().OfType<PatientProjection>().Single();
            await using var connection = store.CreateConnection();
            await connection.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await observer.OnPatientSavedAsync(patient, tx, default);
            foreach (var c in coverages) await observer.OnCoverageSavedAsync(c, tx, default);
            await tx.CommitAsync();
            return 0;
        });
    }

    public static void IfMatch(HttpRequestMessage request, string etag) => request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(etag));
}
