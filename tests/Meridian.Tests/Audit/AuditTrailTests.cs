using System.Net;
using Meridian.Audit.Contracts;
using Meridian.Audit.Features;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Audit;

public abstract class AuditTrailTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private string Table => ModuleDatabase.QualifiedTable(app.Provider, "audit", "record");

    private Task<AuditChainReport> VerifyAsync() => app.WithScopeAsync(sp => sp.GetRequiredService<VerifyAuditChain>().RunAsync());

    private Task RecordAsync(params AuditEntry[] entries) =>
        app.WithScopeAsync(async sp => { await sp.GetRequiredService<IAuditTrail>().RecordManyAsync(entries, null); return 0; });

    [Fact]
    public async Task Concurrent_appends_keep_one_unbroken_chain()
    {
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            RecordAsync(new AuditEntry(AuditAction.Read, "Patient", $"p{i}", PatientId: $"p{i}"))));
        var report = await VerifyAsync();
        Assert.True(report.Intact, report.Summary);
        Assert.True(report.RecordsChecked >= 20);
    }

    [Fact]
    public async Task The_application_cannot_update_or_delete_an_audit_record()
    {
        await RecordAsync(new AuditEntry(AuditAction.Read, "Patient", "append-only"));
        var options = app.Services.GetRequiredService<DatabaseOptions>();
        await using var connection = DbConnections.Create(options);
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"UPDATE {Table} SET detail = 'x' WHERE resource_id = 'append-only'";
        var error = await Record.ExceptionAsync(() => cmd.ExecuteNonQueryAsync());
        Assert.NotNull(error);
        Assert.Contains("append-only", error.Message);
    }

    // The tamper tests change the chain for good, so each runs on its own database. Each first verifies (which seals
    // everything pending), then tampers as someone with direct database access would, then verifies again.
    [Fact]
    public async Task Verify_finds_an_altered_record_and_says_which()
    {
        await using var own = await OwnAppAsync();
        await own.RecordEntriesAsync(5);
        Assert.True((await own.VerifyAsync()).Intact);
        await own.TamperAsync("UPDATE {records} SET detail = 'nothing to see' WHERE id = 3");
        var report = await own.VerifyAsync();
        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.Sequence == 3 && p.Kind == "altered");
    }

    [Fact]
    public async Task Verify_finds_a_deleted_record_and_says_which()
    {
        await using var own = await OwnAppAsync();
        await own.RecordEntriesAsync(5);
        Assert.True((await own.VerifyAsync()).Intact);
        await own.TamperAsync("DELETE FROM {records} WHERE id = 2");
        var report = await own.VerifyAsync();
        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.Sequence == 2 && p.Kind == "deleted");
    }

    [Fact]
    public async Task Verify_finds_a_record_deleted_together_with_its_seal()
    {
        await using var own = await OwnAppAsync();
        await own.RecordEntriesAsync(5);
        Assert.True((await own.VerifyAsync()).Intact);
        await own.TamperAsync("DELETE FROM {seals} WHERE record_id = 2; DELETE FROM {records} WHERE id = 2");
        var report = await own.VerifyAsync();
        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.Kind == "deleted");
        Assert.Contains(report.Problems, p => p.Sequence == 3 && p.Kind == "link");
    }

    [Fact]
    public async Task Verify_finds_a_forged_record_sealed_by_hand()
    {
        await using var own = await OwnAppAsync();
        await own.RecordEntriesAsync(3);
        var before = await own.VerifyAsync();
        Assert.True(before.Intact);
        var next = before.LastSequence!.Value + 1;
        await own.TamperAsync("INSERT INTO {records} (id, occurred_at, action, resource_type, outcome, content_hash) " +
            "VALUES (1000, '2026-01-01 00:00:00', 'Read', 'Patient', 'Success', 'forged'); " +
            $"INSERT INTO {{seals}} (sequence, record_id, content_hash, previous_hash, hash, sealed_at) VALUES ({next}, 1000, 'forged', 'forged', 'forged', '2026-01-01 00:00:00')");
        var report = await own.VerifyAsync();
        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.Sequence == 1000 && p.Kind == "link");
    }

    [Fact]
    public async Task The_audit_report_filters_by_user_and_action_and_is_itself_audited()
    {
        var reader = await app.CreateUserAsync(Roles.Administrator);
        await RecordAsync(new AuditEntry(AuditAction.Read, "Patient", "r1", PatientId: "patient-filter-1") { UserNameOverride = reader.Email });
        await RecordAsync(new AuditEntry(AuditAction.Update, "Patient", "r1", PatientId: "patient-filter-1") { UserNameOverride = reader.Email });
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var body = await (await admin.GetAsync($"/api/audit?user={Uri.EscapeDataString(reader.Email)}&action=Update")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, body.GetProperty("total").GetInt32());
        Assert.Equal("Update", body.GetProperty("items")[0].GetProperty("action").GetString());

        var byPatient = await (await admin.GetAsync("/api/audit?patient=patient-filter-1&sort=time")).ExpectAsync(HttpStatusCode.OK);
        var actions = byPatient.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("action").GetString()).ToList();
        Assert.Equal(["Read", "Update"], actions);

        // The report's own search is audited against that patient too, and shows up in the next report.
        var again = await (await admin.GetAsync("/api/audit?patient=patient-filter-1&sort=time")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["Read", "Update", "Search"], again.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("action").GetString()).ToList());
    }

    [Fact]
    public async Task The_audit_report_rejects_bad_filters_with_problem_details()
    {
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var body = await (await admin.GetAsync("/api/audit?from=yesterday&action=Dance&count=0")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.True(body.GetProperty("errors").TryGetProperty("from", out _));
    }

    [Fact]
    public async Task The_audit_export_is_csv_with_formula_injection_neutralised()
    {
        await RecordAsync(new AuditEntry(AuditAction.Read, "Patient", "csv-1", PatientId: "csv-patient", Detail: "=HYPERLINK(\"http://x\")"));
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var response = await admin.GetAsync("/api/audit/export.csv?patient=csv-patient");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("sequence,occurred_at_utc", lines[0]);
        Assert.Contains(lines, l => l.Contains("\"'=HYPERLINK(\"\"http://x\"\")\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_non_administrator_is_refused_the_audit_report_and_the_refusal_is_audited()
    {
        using var nurse = await app.ClientForRoleAsync(Roles.Nurse);
        await (await nurse.GetAsync("/api/audit?patient=someone")).ExpectAsync(HttpStatusCode.Forbidden);
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var body = await (await admin.GetAsync("/api/audit?action=Search&type=AuditEvent&sort=-time")).ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(body.GetProperty("items").EnumerateArray(), i => i.GetProperty("outcome").GetString() == "Denied" && i.GetProperty("role").GetString() == Roles.Nurse);
    }

    [Fact]
    public async Task The_verify_endpoint_reports_an_intact_chain()
    {
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var body = await (await admin.PostAsync("/api/audit/verify", null)).ExpectAsync(HttpStatusCode.OK);
        Assert.True(body.GetProperty("intact").GetBoolean());
    }

    private async Task<OwnDatabase> OwnAppAsync()
    {
        var fresh = (MeridianApp)Activator.CreateInstance(typeof(TApp))!;
        await fresh.InitializeAsync();
        return new OwnDatabase(fresh);
    }

    private sealed class OwnDatabase(MeridianApp app) : IAsyncDisposable
    {
        private string Records => ModuleDatabase.QualifiedTable(app.Provider, "audit", "record");
        private string Seals => ModuleDatabase.QualifiedTable(app.Provider, "audit", "seal");

        public Task RecordEntriesAsync(int n) => app.WithScopeAsync(async sp =>
        {
            for (var i = 0; i < n; i++)
                await sp.GetRequiredService<IAuditTrail>().RecordAsync(new AuditEntry(AuditAction.Read, "Patient", $"t{i}", PatientId: "tamper"));
            return 0;
        });

        public Task<AuditChainReport> VerifyAsync() => app.WithScopeAsync(sp => sp.GetRequiredService<VerifyAuditChain>().RunAsync());

        public async Task TamperAsync(string sql)
        {
            sql = sql.Replace("{records}", Records).Replace("{seals}", Seals);
            var options = app.Services.GetRequiredService<DatabaseOptions>();
            await using var connection = DbConnections.Create(options);
            await connection.OpenAsync();
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = app.Provider == DatabaseProvider.Sqlite
                ? "DROP TRIGGER IF EXISTS audit_record_no_update; DROP TRIGGER IF EXISTS audit_record_no_delete; " +
                  $"DROP TRIGGER IF EXISTS audit_seal_no_update; DROP TRIGGER IF EXISTS audit_seal_no_delete; {sql}"
                : $"ALTER TABLE audit.record DISABLE TRIGGER USER; ALTER TABLE audit.seal DISABLE TRIGGER USER; {sql}; " +
                  "ALTER TABLE audit.record ENABLE TRIGGER USER; ALTER TABLE audit.seal ENABLE TRIGGER USER;";
            await cmd.ExecuteNonQueryAsync();
        }

        public async ValueTask DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();
    }
}

public sealed class AuditTrailTests_Sqlite(SqliteApp app) : AuditTrailTests<SqliteApp>(app);
public sealed class AuditTrailTests_PostgreSql(PostgreSqlApp app) : AuditTrailTests<PostgreSqlApp>(app);
