using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Meridian.Audit.Features;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.Identity.Features.ManageUsers;
using Meridian.SharedKernel.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Meridian.Bench;

internal sealed record BenchOptions(int Patients, DatabaseProvider Provider, int Seconds, string Only, int WarmUpSeconds)
{
    public bool Runs(string step) => Only == "all" || Only.Split(',').Contains(step);

    public static BenchOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != "--" + name).Skip(1).FirstOrDefault();
        return new BenchOptions(
            int.Parse(Get("patients") ?? "100000", System.Globalization.CultureInfo.InvariantCulture),
            DatabaseOptions.ParseProvider(Get("provider") ?? "Sqlite"),
            int.Parse(Get("seconds") ?? "10", System.Globalization.CultureInfo.InvariantCulture),
            Get("only") ?? "all",
            int.Parse(Get("warmup") ?? "10", System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>The real Meridian host on Kestrel at 127.0.0.1 (random port), in this process, on a fresh database.</summary>
internal sealed class BenchHost : WebApplicationFactory<Program>
{
    private readonly BenchOptions _options;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "meridian-bench", Guid.NewGuid().ToString("N"));
    private string _connectionString = "";
    private string? _pgDatabase;

    private BenchHost(BenchOptions options) => _options = options;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<BenchHost> StartAsync(BenchOptions options)
    {
        var host = new BenchHost(options);
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            Directory.CreateDirectory(host._dir);
            host._connectionString = $"Data Source={Path.Combine(host._dir, "meridian.db")};Pooling=True";
        }
        else
        {
            var server = Environment.GetEnvironmentVariable("MERIDIAN_TEST_PG") ?? "Host=127.0.0.1;Port=5432;Username=meridian;Password=meridian;SSL Mode=Disable";
            host._pgDatabase = "meridian_bench_" + Guid.NewGuid().ToString("N")[..12];
            await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ConnectionString))
            {
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{host._pgDatabase}\"", c);
                await cmd.ExecuteNonQueryAsync();
            }
            host._connectionString = new NpgsqlConnectionStringBuilder(server) { Database = host._pgDatabase, MaxPoolSize = 64 }.ConnectionString;
        }
        host.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        host.StartServer();
        var addresses = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        host.BaseAddress = new Uri(addresses.First());
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseContentRoot(Path.Combine(RepoRoot(), "src", "Meridian.Web"));
        builder.UseSetting("Meridian:Database:Provider", _options.Provider.ToString());
        builder.UseSetting("ConnectionStrings:Meridian", _connectionString);
        builder.UseSetting("Meridian:Database:AutoMigrate", "true");
        builder.UseSetting("Meridian:Demo", "false");
        builder.ConfigureLogging(l => l.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>
    /// Runs in-process work as a signed-in staff member of the role, as a page request would: the handlers read the
    /// actor from the request (IHttpContextAccessor flows with the async context).
    /// </summary>
    public async Task<T> AsStaffAsync<T>(string role, Func<IServiceProvider, Task<T>> work)
    {
        var accessor = Services.GetRequiredService<IHttpContextAccessor>();
        var identity = new System.Security.Claims.ClaimsIdentity(
            [new("meridian:user", "bench-" + role), new(System.Security.Claims.ClaimTypes.Name, $"bench-{role.ToLowerInvariant()}@bench.meridian"), new("role", role)],
            "Bench", System.Security.Claims.ClaimTypes.Name, "role");
        foreach (var p in Meridian.SharedKernel.Security.RolePermissions.For(role))
            identity.AddClaim(new(Meridian.SharedKernel.Security.MeridianClaims.Permission, p));
        var context = new DefaultHttpContext { User = new(identity) };
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        accessor.HttpContext = context;
        try { return await WithScopeAsync(work); }
        finally { accessor.HttpContext = null; }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Meridian.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Run the benchmark from the Meridian repository (Meridian.slnx not found above the binaries).");
    }

    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public async Task<string> BackendTokenAsync()
    {
        var c = await WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("bench", "system/*.cruds", null));
        return await TokenAsync(c.ClientId, c.ClientSecret, "system/*.cruds");
    }

    public async Task<string> StaffTokenAsync(string role)
    {
        var user = await WithScopeAsync(sp => sp.GetRequiredService<ManageUsersHandler>()
            .CreateAsync($"bench-{role.ToLowerInvariant()}@bench.meridian", "Bench " + role, role, "Bench-Password-2026"));
        var c = await WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("bench " + role, "user/*.cruds", user.Id));
        return await TokenAsync(c.ClientId, c.ClientSecret, "user/*.cruds");
    }

    private async Task<string> TokenAsync(string id, string secret, string scope)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}")));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>How many audit records exist (a plain count; the chain is verified once, at the end of the run).</summary>
    public async Task<long> AuditCountAsync()
    {
        var options = Services.GetRequiredService<DatabaseOptions>();
        await using var connection = DbConnections.Create(options);
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {ModuleDatabase.QualifiedTable(options.Provider, "audit", "record")}";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<string> VerifyAuditAsync() =>
        (await WithScopeAsync(sp => sp.GetRequiredService<VerifyAuditChain>().RunAsync())).Summary;

    public static HttpClient NewClient(Uri baseAddress, string token)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        var client = new HttpClient(handler) { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_pgDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            var server = Environment.GetEnvironmentVariable("MERIDIAN_TEST_PG") ?? "Host=127.0.0.1;Port=5432;Username=meridian;Password=meridian;SSL Mode=Disable";
            await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_pgDatabase}\" WITH (FORCE)", c);
            await cmd.ExecuteNonQueryAsync();
        }
        else
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }
    }
}

/// <summary>
/// The ceiling to compare against: a bare Kestrel endpoint on the same machine, same route shape, same response bytes and
/// content type, with no authentication, database or audit.
/// </summary>
internal sealed class BareKestrel : IAsyncDisposable
{
    private readonly WebApplication _app;
    public Uri BaseAddress { get; }

    private BareKestrel(WebApplication app, Uri baseAddress) { _app = app; BaseAddress = baseAddress; }

    public static async Task<BareKestrel> StartAsync(IReadOnlyDictionary<string, byte[]> bodies)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/fhir/Patient/{id}", async (string id, HttpContext http) =>
        {
            if (!bodies.TryGetValue(id, out var body)) { http.Response.StatusCode = 404; return; }
            http.Response.ContentType = "application/fhir+json; charset=utf-8";
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BareKestrel(app, new Uri(address));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed record LoadResult(long Count, long Errors, double PerSecond, double P95Ms, double CpuMsPerRequest, long WarmUpCount, double KbAllocatedPerRequest)
{
    // Allocation per request is printed beside CPU because it does not drift with other load on a shared machine.
    // The runtime's process-wide allocation counter has been seen to go backwards under server GC; then there is no figure.
    public override string ToString() => $"{PerSecond:N0}/s (p95 {P95Ms:N2} ms, {CpuMsPerRequest:N3} ms CPU and " +
        (double.IsNaN(KbAllocatedPerRequest) ? "no allocation figure" : $"{KbAllocatedPerRequest:N1} KB allocated") + " per request incl. client)";
}

/// <summary>A closed-loop load generator: N workers, each sending its next request when the previous one answered.</summary>
internal static class Load
{
    public static TimeSpan WarmUp { get; set; } = TimeSpan.FromSeconds(10);
    private static int _shownFailure;

    public static Task<LoadResult> RunAsync(HttpClient client, Func<int, string> url, int concurrency, TimeSpan duration) =>
        RunCoreAsync(async i =>
        {
            using var r = await client.GetAsync(url(i), HttpCompletionOption.ResponseContentRead);
            return r.IsSuccessStatusCode;
        }, concurrency, duration);

    public static Task<LoadResult> RunPostAsync(HttpClient client, string url, Func<int, string> body, int concurrency, TimeSpan duration) =>
        RunCoreAsync(async i =>
        {
            using var content = new StringContent(body(i), Encoding.UTF8, "application/json");
            using var r = await client.PostAsync(url, content);
            // The first refusal is shown, so a failure rate in the report can be explained.
            if (!r.IsSuccessStatusCode && Interlocked.Exchange(ref _shownFailure, 1) == 0)
                Console.WriteLine($"  first failed request #{i}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            return r.IsSuccessStatusCode;
        }, concurrency, duration);

    private static async Task<LoadResult> RunCoreAsync(Func<int, Task<bool>> send, int concurrency, TimeSpan duration)
    {
        // Warm-up under the same load: tiered JIT (tier-0, instrumented, then optimized code for the hot paths of EF Core,
        // Kestrel and our handlers) keeps a core busy for several seconds after start, which is not steady state.
        var warmUntil = Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
        var warmCounter = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < warmUntil) await send(Interlocked.Increment(ref warmCounter) + 5_000_000);
        })));
        long count = 0, errors = 0;
        var counter = 1_000;
        var samples = new List<double>[concurrency];
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = samples[w] = new List<double>(100_000);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var t = Stopwatch.GetTimestamp();
                var ok = await send(Interlocked.Increment(ref counter));
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                Interlocked.Increment(ref count);
                if (!ok) Interlocked.Increment(ref errors);
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var all = samples.SelectMany(s => s).Order().ToList();
        if (errors > 0) Console.WriteLine($"  warning: {errors} of {count} requests failed");
        return new LoadResult(count, errors, (count - errors) / elapsed, all.Count == 0 ? 0 : all[(int)(all.Count * 0.95)], count == 0 ? 0 : cpu / count, warmCounter, count == 0 || allocated < 0 ? double.NaN : allocated / 1024.0 / count);
    }
}

/// <summary>Distinct synthetic registrations (unique names and phones) so the duplicate check runs but never blocks.</summary>
internal static class Registrations
{
    private static readonly string[] Given = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jules", "Kendall", "Logan"];

    public static string Body(int i) => JsonSerializer.Serialize(new
    {
        patient = new
        {
            legalName = new { family = $"Benchmark{i:D7}", given = new[] { Given[i % Given.Length] } },
            birthDate = new DateOnly(1950, 1, 1).AddDays(i % 20_000).ToString("yyyy-MM-dd"),
            gender = (i % 2 == 0) ? "female" : "male",
            telecom = new[] { new { system = "phone", value = $"555-{i / 10_000 % 1_000:D3}-{i % 10_000:D4}", use = "mobile" } },
            addresses = new[] { new { lines = new[] { $"{i % 900 + 100} Main St" }, city = "Springfield", state = "IL", postalCode = "62701" } },
        },
        coverages = new[]
        {
            new { rank = 1, payerName = "Blue Cross Blue Shield of Illinois", payerId = "00621", memberId = $"BNC{i:D9}", subscriberRelationship = "self" },
        },
        allowPossibleDuplicate = true,
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
}
