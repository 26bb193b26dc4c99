using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.Identity.Features.ManageUsers;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Meridian.Tests.Infrastructure;

/// <summary>
/// The whole Meridian host over a real, freshly migrated database of one provider. Each test class gets its own
/// database (class fixture), so tests never see each other's data.
/// </summary>
public abstract class MeridianApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly Dictionary<string, string> _roleTokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public abstract DatabaseProvider Provider { get; }
    public string ConnectionString { get; protected set; } = "";
    public TestClock Clock { get; } = new(DateTimeOffset.UtcNow);
    /// <summary>Extra configuration a test class wants (e.g. a shorter idle timeout).</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public abstract Task CreateDatabaseAsync();
    public virtual Task DropDatabaseAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();
        _ = Services; // starts the host: migrations run at start (AutoMigrate)
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await DropDatabaseAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Meridian:Database:Provider", Provider.ToString());
        builder.UseSetting("ConnectionStrings:Meridian", ConnectionString);
        builder.UseSetting("Meridian:Database:AutoMigrate", "true");
        builder.UseSetting("Meridian:Demo", "false");
        foreach (var (k, v) in Settings) builder.UseSetting(k, v);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
    }

    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public async Task<StaffUserView> CreateUserAsync(string role, string? email = null, string password = TestPasswords.Default) =>
        await WithScopeAsync(sp => sp.GetRequiredService<ManageUsersHandler>()
            .CreateAsync(email ?? $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@test.meridian", $"Test {role}", role, password));

    /// <summary>
    /// A new HTTP client authenticated as a staff user of the role, through a real token from /oauth/token
    /// (one user and token per role and test class; the caller disposes the client).
    /// </summary>
    public async Task<HttpClient> ClientForRoleAsync(string role)
    {
        string? token;
        await _gate.WaitAsync();
        try
        {
            if (!_roleTokens.TryGetValue(role, out token))
            {
                var user = await CreateUserAsync(role);
                var created = await WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>()
                    .CreateAsync($"test script for {role}", "user/*.cruds", user.Id));
                _roleTokens[role] = token = await RequestTokenAsync(created.ClientId, created.ClientSecret, "user/*.cruds");
            }
        }
        finally { _gate.Release(); }
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A backend (system/) client with the given scopes.</summary>
    public async Task<HttpClient> SystemClientAsync(string scopes = "system/*.cruds")
    {
        var created = await WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("test backend", scopes, null));
        return await ClientWithTokenAsync(created.ClientId, created.ClientSecret, scopes);
    }

    public async Task<HttpClient> ClientWithTokenAsync(string clientId, string secret, string scope)
    {
        var token = await RequestTokenAsync(clientId, secret, scope);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<string> RequestTokenAsync(string clientId, string secret, string scope)
    {
        using var anonymous = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var response = await anonymous.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Token request failed: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public HttpClient AnonymousClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
}

public static class TestPasswords
{
    public const string Default = "Correct-Horse-42";
}

public class SqliteApp : MeridianApp
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "meridian-tests", Guid.NewGuid().ToString("N"));
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override Task CreateDatabaseAsync()
    {
        Directory.CreateDirectory(_dir);
        ConnectionString = $"Data Source={Path.Combine(_dir, "meridian.db")};Pooling=True";
        return Task.CompletedTask;
    }

    public override Task DropDatabaseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* a file still held open by the OS; the temp folder is cleaned up later */ }
        return Task.CompletedTask;
    }
}

/// <summary>
/// A fresh database on the PostgreSQL server named by MERIDIAN_TEST_PG (an Npgsql connection string without Database;
/// default Host=127.0.0.1;Username=meridian;Password=meridian, which .ci/run sets up).
/// </summary>
public class PostgreSqlApp : MeridianApp
{
    private readonly string _database = "meridian_test_" + Guid.NewGuid().ToString("N")[..16];
    public override DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("MERIDIAN_TEST_PG") is { Length: > 0 } cs ? cs : "Host=127.0.0.1;Port=5432;Username=meridian;Password=meridian;SSL Mode=Disable";

    public override async Task CreateDatabaseAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = "postgres", Pooling = false };
        try
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", connection);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException(
                "PostgreSQL is required for the data-layer tests (every one runs on SQLite and PostgreSQL). " +
                $"Could not reach it with MERIDIAN_TEST_PG='{server.Host}:{server.Port} as {server.Username}'. " +
                "Install and start it as .ci/run does, or point MERIDIAN_TEST_PG at a server.", e);
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = _database, MaxPoolSize = 40 }.ConnectionString;
    }

    public override async Task DropDatabaseAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var server = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
        await cmd.ExecuteNonQueryAsync();
    }
}
