using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meridian.Patients.Demo;
using Meridian.Patients.Features.MergePatients;
using Meridian.Patients.Features.ReviewMerges;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Meridian.Tests.Patients.PatientTestData;

namespace Meridian.Tests.Patients;

public abstract class PatientChangeTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static object Update(JsonElement details, int? version, Action<Dictionary<string, object?>> change)
    {
        var d = JsonSerializer.Deserialize<Dictionary<string, object?>>(details.GetRawText())!;
        change(d);
        return new { patient = d, version };
    }

    [Fact]
    public async Task Of_two_editors_of_the_same_version_the_second_gets_412_and_nothing_of_its_change_is_saved()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var created = await RegisterAsync(client, Patient(UniqueFamily(), "Kim", UniqueBirthDate()));
        var id = created.GetProperty("id").GetString()!;
        var details = created.GetProperty("details");
        var newPhone = UniquePhone();

        using var first = await client.PutAsJsonAsync($"/api/patients/{id}", Update(details, 1, d => d["gender"] = "other"));
        Assert.Equal(2, (await first.ExpectAsync(HttpStatusCode.OK)).GetProperty("version").GetInt32());

        using var second = await client.PutAsJsonAsync($"/api/patients/{id}", Update(details, 1, d =>
        {
            d["deceasedDate"] = "2020-01-01";
            d["telecom"] = new[] { new { system = "phone", value = newPhone } };
        }));
        await second.ExpectAsync(HttpStatusCode.PreconditionFailed);

        using var read = await client.GetAsync($"/api/patients/{id}");
        var now = await read.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, now.GetProperty("version").GetInt32());
        Assert.Equal("other", now.GetProperty("details").GetProperty("gender").GetString());
        Assert.False(now.GetProperty("details").TryGetProperty("deceasedDate", out var dd) && dd.ValueKind != JsonValueKind.Null);
        // The phone search rows are derived data: they must not be half-updated either.
        Assert.Equal(0, await CountRowsAsync(app, "patient_phone", "digits = @d", ("@d", new string(newPhone.Where(char.IsDigit).ToArray()))));
        Assert.DoesNotContain(await AuditForPatientAsync(app, id), a => a.Action == "Update" && a.Detail == "version 3");
    }

    [Fact]
    public async Task Concurrent_updates_with_the_same_version_let_exactly_one_through()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var created = await RegisterAsync(client, Patient(UniqueFamily(), "Lou", UniqueBirthDate()));
        var id = created.GetProperty("id").GetString()!;
        var details = created.GetProperty("details");
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            client.PutAsJsonAsync($"/api/patients/{id}", Update(details, 1, d => d["raceText"] = $"editor {i}"))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        foreach (var r in responses) r.Dispose();
    }

    [Fact]
    public async Task An_update_takes_the_version_from_If_Match_and_requires_one()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var created = await RegisterAsync(client, Patient(UniqueFamily(), "Mia", UniqueBirthDate()));
        var id = created.GetProperty("id").GetString()!;
        var details = created.GetProperty("details");

        using var missing = await client.PutAsJsonAsync($"/api/patients/{id}", Update(details, null, _ => { }));
        await missing.ExpectAsync(HttpStatusCode.BadRequest);

        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/patients/{id}") { Content = JsonContent.Create(Update(details, null, _ => { })) };
        stale.Headers.TryAddWithoutValidation("If-Match", "W/\"7\"");
        using var staleResponse = await client.SendAsync(stale);
        await staleResponse.ExpectAsync(HttpStatusCode.PreconditionFailed);

        using var ok = new HttpRequestMessage(HttpMethod.Put, $"/api/patients/{id}") { Content = JsonContent.Create(Update(details, null, d => d["gender"] = "male")) };
        ok.Headers.TryAddWithoutValidation("If-Match", "W/\"1\"");
        using var okResponse = await client.SendAsync(ok);
        await okResponse.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("W/\"2\"", okResponse.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Merging_keeps_both_records_points_readers_to_the_survivor_and_is_audited_and_reviewable()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var family = UniqueFamily();
        var birth = UniqueBirthDate();
        var survivor = await RegisterAsync(client, Patient(family, "Nora", birth), [Coverage(1)]);
        var merged = await RegisterAsync(client, Patient(family, "Norah", birth), [Coverage(1)], allowDuplicate: true);
        var (sid, mid) = (survivor.GetProperty("id").GetString()!, merged.GetProperty("id").GetString()!);

        var result = await SignedIn.AsAsync(app, Roles.FrontDesk, sp => sp.GetRequiredService<MergePatientsHandler>()
            .HandleAsync(new MergePatientsRequest(Guid.Parse(sid), Guid.Parse(mid), "Same person, registered twice")));
        Assert.False(result.Merged.Active);

        // The merged record is still there, inactive, with its own coverage (its history), pointing at the survivor.
        using var read = await client.GetAsync($"/api/patients/{mid}");
        var old = await read.ExpectAsync(HttpStatusCode.OK);
        Assert.False(old.GetProperty("active").GetBoolean());
        Assert.Equal(sid, old.GetProperty("mergedInto").GetString());
        Assert.Equal(1, old.GetProperty("coverages").GetArrayLength());
        Assert.Contains(sid, read.Headers.GetValues("Link").Single());
        using var header = await client.GetAsync($"/api/patients/{mid}/header");
        Assert.Contains((await header.ExpectAsync(HttpStatusCode.OK)).GetProperty("alerts").EnumerateArray(), a => a.GetProperty("code").GetString() == "merged");

        // Search shows the survivor only; editing the merged record is refused.
        using var search = await client.GetAsync($"/api/patients?family={family}");
        var ids = (await search.ExpectAsync(HttpStatusCode.OK)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
        Assert.Equal([sid], ids);
        await Assert.ThrowsAsync<ConflictException>(() => SignedIn.AsAsync(app, Roles.FrontDesk, sp => sp.GetRequiredService<MergePatientsHandler>()
            .HandleAsync(new MergePatientsRequest(Guid.Parse(sid), Guid.Parse(mid), "again"))));

        // Audited for both patients, and reviewable with both records as they were.
        Assert.Contains(await AuditForPatientAsync(app, sid), a => a.Action == "Merge" && a.Detail!.Contains("Same person"));
        Assert.Contains(await AuditForPatientAsync(app, mid), a => a.Action == "Merge" && a.UserName == "frontdesk@test.meridian");
        var list = await SignedIn.AsAsync(app, Roles.FrontDesk, sp => sp.GetRequiredService<ReviewMergesHandler>().ListAsync(0, 20));
        var listed = list.Items.Single(m => m.Id == result.MergeId);
        Assert.Equal("Same person, registered twice", listed.Reason);
        Assert.Equal("frontdesk@test.meridian", listed.MergedBy);
        var review = await SignedIn.AsAsync(app, Roles.FrontDesk, sp => sp.GetRequiredService<ReviewMergesHandler>().GetAsync(result.MergeId));
        Assert.True(review.MergedBefore.Active);
        Assert.Equal("Norah", review.MergedBefore.Details.LegalName.Given[0]);
        Assert.Equal("Nora", review.SurvivorBefore.Details.LegalName.Given[0]);
    }

    [Fact]
    public async Task Merging_a_record_into_itself_or_without_a_reason_is_refused_and_a_nurse_may_not_merge()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var id = (await RegisterAsync(client, Patient(UniqueFamily(), "Ola", UniqueBirthDate()))).GetProperty("id").GetGuid();
        Task<MergeResult> Merge(string role, Guid other, string reason) =>
            SignedIn.AsAsync(app, role, sp => sp.GetRequiredService<MergePatientsHandler>().HandleAsync(new MergePatientsRequest(id, other, reason)));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Merge(Roles.FrontDesk, id, "x"));
        await Assert.ThrowsAsync<ValidationFailedException>(() => Merge(Roles.FrontDesk, Guid.NewGuid(), ""));
        await Assert.ThrowsAsync<ForbiddenException>(() => Merge(Roles.Nurse, Guid.NewGuid(), "x"));
        // API tokens carry SMART scopes only; none of them grants merge.
        using var http = await client.PostJsonAsync("/api/patients/merge", new { survivorId = id, mergedId = Guid.NewGuid(), reason = "x" });
        await http.ExpectAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Coverages_are_added_updated_and_deactivated_with_ranks_kept_unique()
    {
        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        var created = await RegisterAsync(client, Patient(UniqueFamily(), "Pia", UniqueBirthDate()), [Coverage(1)]);
        var id = created.GetProperty("id").GetString()!;
        var primary = created.GetProperty("coverages")[0];

        using var clash = await client.PostJsonAsync($"/api/patients/{id}/coverages", Coverage(1));
        await clash.ExpectAsync(HttpStatusCode.Conflict);
        using var add = await client.PostJsonAsync($"/api/patients/{id}/coverages", Coverage(2, payer: "Humana"));
        var secondary = await add.ExpectAsync(HttpStatusCode.Created);

        var changed = Coverage(2, payer: "Humana Gold");
        using var update = await client.PutAsJsonAsync($"/api/patients/{id}/coverages/{secondary.GetProperty("id").GetString()}", new { coverage = changed, version = 1 });
        Assert.Equal("Humana Gold", (await update.ExpectAsync(HttpStatusCode.OK)).GetProperty("details").GetProperty("payerName").GetString());
        using var stale = await client.PutAsJsonAsync($"/api/patients/{id}/coverages/{secondary.GetProperty("id").GetString()}", new { coverage = changed, version = 1 });
        await stale.ExpectAsync(HttpStatusCode.PreconditionFailed);

        using var end = await client.PostJsonAsync($"/api/patients/{id}/coverages/{primary.GetProperty("id").GetString()}/deactivate", new { version = 1, endDate = "2025-12-31" });
        Assert.False((await end.ExpectAsync(HttpStatusCode.OK)).GetProperty("active").GetBoolean());
        // The rank is free again for a replacement.
        using var replacement = await client.PostJsonAsync($"/api/patients/{id}/coverages", Coverage(1, payer: "Cigna"));
        await replacement.ExpectAsync(HttpStatusCode.Created);

        var audit = (await AuditForPatientAsync(app, id)).Where(a => a.ResourceType == "Coverage").ToList();
        Assert.Equal(3, audit.Count(a => a.Action == "Create"));   // at registration, the secondary, the replacement
        Assert.Equal(2, audit.Count(a => a.Action == "Update"));   // the payer change, the deactivation
    }

    [Fact]
    public async Task The_chart_header_shows_demographics_coverage_and_alerts()
    {
        using var client = await app.ClientForRoleAsync(Roles.Physician);
        var birth = new DateOnly(1950, 6, 15);
        var withCoverage = await RegisterAsync(client, Patient(UniqueFamily(), "Quinn", birth), [Coverage(1, start: null)]);
        using var h1 = await client.GetAsync($"/api/patients/{withCoverage.GetProperty("id").GetString()}/header");
        var header = await h1.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(withCoverage.GetProperty("mrn").GetString(), header.GetProperty("mrn").GetString());
        Assert.EndsWith(" y", header.GetProperty("age").GetString());
        Assert.Equal("primary", header.GetProperty("coverages")[0].GetProperty("rankName").GetString());
        Assert.DoesNotContain(header.GetProperty("alerts").EnumerateArray(), a => a.GetProperty("code").GetString() == "no-active-coverage");

        var deceased = Patient(UniqueFamily(), "Rae", birth);
        deceased["deceasedDate"] = "2024-03-01";
        var selfPay = await RegisterAsync(client, deceased);
        using var h2 = await client.GetAsync($"/api/patients/{selfPay.GetProperty("id").GetString()}/header");
        var codes = (await h2.ExpectAsync(HttpStatusCode.OK)).GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("code").GetString()).ToList();
        Assert.Contains("no-active-coverage", codes);
        Assert.Contains("deceased", codes);
    }

    [Fact]
    public async Task Reading_an_unknown_patient_returns_404()
    {
        using var client = await app.ClientForRoleAsync(Roles.Nurse);
        using var response = await client.GetAsync($"/api/patients/{Guid.NewGuid()}");
        await response.ExpectAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_demo_seeder_adds_patients_with_coverage_and_one_audit_entry_for_the_run()
    {
        var before = await CountRowsAsync(app, "patient", "1 = 1");
        var seeded = await app.WithScopeAsync(sp => sp.GetRequiredService<PatientDemoSeeder>().SeedAsync(300, seed: 7, batchSize: 120));
        Assert.Equal(300, seeded);
        Assert.Equal(before + 300, await CountRowsAsync(app, "patient", "1 = 1"));
        Assert.True(await CountRowsAsync(app, "coverage", "rank = 2") > 0, "some secondary coverage");
        Assert.True(await CountRowsAsync(app, "patient", "guarantor IS NOT NULL") > 0, "some guarantors");
        var runs = (await AuditAsync(app, "Create")).Where(a => a.Detail?.StartsWith("Demo data: seeded 300", StringComparison.Ordinal) == true).ToList();
        Assert.Single(runs);

        using var client = await app.ClientForRoleAsync(Roles.FrontDesk);
        using var search = await client.GetAsync("/api/patients?name=a&count=5");
        Assert.Equal(5, (await search.ExpectAsync(HttpStatusCode.OK)).GetProperty("items").GetArrayLength());
    }
}

public sealed class PatientChangeTests_Sqlite(SqliteApp app) : PatientChangeTests<SqliteApp>(app);
public sealed class PatientChangeTests_PostgreSql(PostgreSqlApp app) : PatientChangeTests<PostgreSqlApp>(app);
