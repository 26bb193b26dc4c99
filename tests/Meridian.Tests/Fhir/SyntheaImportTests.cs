using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Tests.Infrastructure;
using Xunit.Abstractions;
using static Meridian.Tests.Fhir.FhirTestData;

namespace Meridian.Tests.Fhir;

/// <summary>
/// The Synthea sample bundles in the shared data folder (../shared/data/synthea next to the repository; never copied into
/// it). MERIDIAN_SHARED_DATA may point at the shared data folder instead, for checkouts that live elsewhere (worktrees).
/// </summary>
internal static class SyntheaData
{
    public static readonly string? Directory = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("MERIDIAN_SHARED_DATA") is { Length: > 0 } shared)
            return System.IO.Directory.Exists(Path.Combine(shared, "synthea")) ? Path.GetFullPath(Path.Combine(shared, "synthea")) : null;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meridian.slnx"))) dir = dir.Parent;
        if (dir is null) return null;
        var synthea = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "synthea"));
        return System.IO.Directory.Exists(synthea) ? synthea : null;
    }

    public static IEnumerable<string> Files(string pattern) =>
        Directory is null ? [] : System.IO.Directory.GetFiles(Directory, pattern).Order(StringComparer.Ordinal);

    /// <summary>Every resource of a type in the bundles matching the pattern, in file order.</summary>
    public static IEnumerable<(string File, JsonObject Resource)> Resources(string pattern, string type)
    {
        foreach (var file in Files(pattern))
        {
            var bundle = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            foreach (var entry in bundle["entry"]?.AsArray() ?? [])
                if (entry?["resource"] is JsonObject r && (string?)r["resourceType"] == type)
                    yield return (Path.GetFileName(file), r);
        }
    }
}

/// <summary>A fact that is skipped, with a reason the test run shows, when the Synthea sample data is not present.</summary>
public sealed class SyntheaFactAttribute : FactAttribute
{
    public SyntheaFactAttribute()
    {
        if (SyntheaData.Directory is null)
            Skip = "The Synthea sample data (../shared/data/synthea beside the repository, or $MERIDIAN_SHARED_DATA/synthea) is not present.";
    }
}

/// <summary>
/// Real-world input: every Synthea patient is posted to /fhir/Patient as Synthea wrote it, read back, and the result is
/// validated against the official R4 definitions; a sample of Synthea's organizations and practitioners is posted too.
/// </summary>
public abstract class SyntheaImportTests<TApp>(TApp app, ITestOutputHelper output) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static readonly string NodeDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Fhir", "node");

    [SyntheaFact]
    public async Task Every_synthea_patient_is_accepted_reads_back_and_is_valid_r4()
    {
        var patients = SyntheaData.Resources("*_*_*.json", "Patient").ToList();
        Assert.True(patients.Count >= 10, $"expected the Synthea patient bundles in {SyntheaData.Directory}, found {patients.Count} patients");
        using var client = await app.SystemClientAsync();
        var failures = new List<string>();
        var created = new List<(string File, string Id, JsonObject Sent)>();
        foreach (var (file, patient) in patients)
        {
            // Sent as Synthea wrote it, nothing stripped. Meridian assigns the id and keeps what its record holds:
            // Synthea's own identifiers (its uuid, a hospital MRN, SSN, driver's licence, passport), the
            // narrative, marital status, multiple birth, mother's maiden name, birth place and the DALY/QALY extensions
            // are not part of the Meridian record, so they are not stored and do not come back (decision 0007).
            using var response = await client.PostAsync("/fhir/Patient", Body(patient.ToJsonString()));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Created)
            {
                failures.Add($"{file}: {(int)response.StatusCode} {body}");
                continue;
            }
            created.Add((file, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!, patient));
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {patients.Count} Synthea patients were refused:\n{string.Join("\n", failures)}");

        var readBack = new List<string>();
        foreach (var (file, id, sent) in created)
        {
            var read = await (await client.GetAsync($"/fhir/Patient/{id}")).ExpectAsync(HttpStatusCode.OK);
            readBack.Add(read.GetRawText());
            // What Meridian keeps survives the trip.
            var official = sent["name"]!.AsArray().First(n => (string?)n!["use"] == "official")!;
            Assert.Equal((string?)official["family"], read.GetProperty("name")[0].GetProperty("family").GetString());
            Assert.Equal((string?)sent["birthDate"], read.GetProperty("birthDate").GetString());
            Assert.Equal((string?)sent["gender"], read.GetProperty("gender").GetString());
            Assert.Equal((string?)sent["address"]![0]!["city"], read.GetProperty("address")[0].GetProperty("city").GetString());
            Assert.Equal(2, read.GetProperty("address")[0].GetProperty("state").GetString()!.Length);
            Assert.Equal((string?)sent["telecom"]![0]!["value"], read.GetProperty("telecom")[0].GetProperty("value").GetString());
            var race = read.GetProperty("extension").EnumerateArray().Single(e => e.GetProperty("url").GetString()!.EndsWith("us-core-race", StringComparison.Ordinal));
            var sentRace = sent["extension"]!.AsArray().Single(e => ((string?)e!["url"])!.EndsWith("us-core-race", StringComparison.Ordinal))!;
            Assert.Equal((string?)sentRace["extension"]![0]!["valueCoding"]!["code"], race.GetProperty("extension")[0].GetProperty("valueCoding").GetProperty("code").GetString());
            if (sent["deceasedDateTime"] is { } deceased)
                Assert.Equal(((string)deceased!)[..10], read.GetProperty("deceasedDateTime").GetString());
            var family = Uri.EscapeDataString((string)official["family"]!);
            Assert.Contains(id, Ids(await (await client.GetAsync($"/fhir/Patient?family:exact={family}&birthdate={sent["birthDate"]}")).ExpectAsync(HttpStatusCode.OK)));
        }

        if (!NodeTools.EnsureInstalled(NodeDir, output)) return;
        AssertValid(await ValidateAsync(readBack));
    }

    [SyntheaFact]
    public async Task A_sample_of_synthea_organizations_and_practitioners_is_accepted_and_valid_r4()
    {
        using var client = await app.SystemClientAsync();
        var emitted = new List<string>();
        foreach (var (pattern, type) in new[] { ("hospitalInformation*.json", "Organization"), ("practitionerInformation*.json", "Practitioner") })
        {
            var all = SyntheaData.Resources(pattern, type).ToList();
            Assert.True(all.Count >= 10, $"expected {type} resources in {SyntheaData.Directory}/{pattern}, found {all.Count}");
            // Every tenth one: a spread across the bundle rather than its first entries.
            foreach (var (file, resource) in all.Where((_, i) => i % (all.Count / 10) == 0).Take(10))
            {
                using var response = await client.PostAsync($"/fhir/{type}", Body(resource.ToJsonString()));
                var created = await response.ExpectAsync(HttpStatusCode.Created);
                var id = created.GetProperty("id").GetString()!;
                Assert.Equal((string?)resource["name"]?.ToJsonString(), created.GetProperty("name").GetRawText());
                var read = await (await client.GetAsync($"/fhir/{type}/{id}")).ExpectAsync(HttpStatusCode.OK);
                emitted.Add(read.GetRawText());
                var identifier = resource["identifier"]![0]!;
                var found = await (await client.GetAsync($"/fhir/{type}?identifier={Uri.EscapeDataString($"{identifier["system"]}|{identifier["value"]}")}")).ExpectAsync(HttpStatusCode.OK);
                Assert.Contains(id, Ids(found));
            }
        }
        Assert.Equal(20, emitted.Count);
        if (!NodeTools.EnsureInstalled(NodeDir, output)) return;
        AssertValid(await ValidateAsync(emitted));
    }

    private static IEnumerable<string> Ids(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var e) ? e.EnumerateArray().Select(x => x.GetProperty("resource").GetProperty("id").GetString()!) : [];

    private static async Task<JsonElement> ValidateAsync(IReadOnlyList<string> resources)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "[" + string.Join(",", resources) + "]");
        var (code, stdout, stderr) = await NodeTools.RunAsync(NodeDir, "node", $"validate.mjs \"{file}\"");
        File.Delete(file);
        Assert.True(code == 0, stderr);
        var results = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(resources.Count, results.GetArrayLength());
        return results;
    }

    private static void AssertValid(JsonElement results)
    {
        var invalid = results.EnumerateArray().Where(r => r.GetProperty("errors").GetArrayLength() > 0).Select(r => $"{r.GetProperty("resource")}: {r.GetProperty("errors")}").ToList();
        Assert.True(invalid.Count == 0, string.Join("\n", invalid));
    }
}

public sealed class SyntheaImportTests_Sqlite(SqliteApp app, ITestOutputHelper output) : SyntheaImportTests<SqliteApp>(app, output);
public sealed class SyntheaImportTests_PostgreSql(PostgreSqlApp app, ITestOutputHelper output) : SyntheaImportTests<PostgreSqlApp>(app, output);
