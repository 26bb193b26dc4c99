using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Meridian.Identity.Features.ManageApiClients;
using Meridian.Identity.Features.ManageUsers;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Identity;

public abstract class TokenEndpointTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp
{
    private async Task<HttpResponseMessage> PostTokenAsync(string? basic, string grantType = "client_credentials", string? scope = "system/*.cruds")
    {
        using var client = app.AnonymousClient();
        var form = new Dictionary<string, string> { ["grant_type"] = grantType };
        if (scope is not null) form["scope"] = scope;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new FormUrlEncodedContent(form) };
        if (basic is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        return await client.SendAsync(request);
    }

    private Task<CreatedApiClient> NewBackendClientAsync(string scopes = "system/*.cruds") =>
        app.WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("backend", scopes, null));

    [Fact]
    public async Task A_registered_backend_client_gets_a_signed_expiring_bearer_token_with_client_secret_basic()
    {
        var c = await NewBackendClientAsync();
        var response = await PostTokenAsync($"{c.ClientId}:{c.ClientSecret}");
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(300, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("system/*.cruds", body.GetProperty("scope").GetString());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var token = body.GetProperty("access_token").GetString()!;
        Assert.Equal(3, token.Split('.').Length);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_with_invalid_client_and_audited_as_denied()
    {
        var c = await NewBackendClientAsync();
        var response = await PostTokenAsync($"{c.ClientId}:not-the-secret");
        var body = await response.ExpectAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());

        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var audit = await (await admin.GetAsync($"/api/audit?user={c.ClientId}&action=TokenDenied")).ExpectAsync(HttpStatusCode.OK);
        Assert.True(audit.GetProperty("total").GetInt32() >= 1);
        Assert.Equal("Denied", audit.GetProperty("items")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_token_request_without_client_authentication_is_refused()
    {
        var body = await (await PostTokenAsync(null)).ExpectAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_unsupported_grant_type_is_refused()
    {
        var c = await NewBackendClientAsync();
        var body = await (await PostTokenAsync($"{c.ClientId}:{c.ClientSecret}", grantType: "password")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("unsupported_grant_type", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_scope_beyond_what_the_client_was_granted_is_refused()
    {
        var c = await NewBackendClientAsync("system/Patient.rs");
        var body = await (await PostTokenAsync($"{c.ClientId}:{c.ClientSecret}", scope: "system/Patient.cruds")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_api_request_without_a_token_gets_401_and_with_a_garbage_token_too()
    {
        using var anonymous = app.AnonymousClient();
        await (await anonymous.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Unauthorized);
        using var garbage = app.AnonymousClient();
        garbage.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not.a.token");
        await (await garbage.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_without_the_permission_gets_403()
    {
        using var frontDesk = await app.ClientForRoleAsync(Roles.FrontDesk);
        await (await frontDesk.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_deactivated_client_loses_access_at_once_even_with_an_unexpired_token()
    {
        var c = await NewBackendClientAsync("system/AuditEvent.rs");
        using var client = await app.ClientWithTokenAsync(c.ClientId, c.ClientSecret, "system/AuditEvent.rs");
        await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.OK);
        await app.WithScopeAsync(async sp => { await sp.GetRequiredService<ApiClientService>().DeactivateAsync(c.ClientId); return 0; });
        await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_deactivated_user_loses_access_at_once_including_their_script_tokens()
    {
        var user = await app.CreateUserAsync(Roles.Administrator);
        var created = await app.WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("script", "user/*.rs", user.Id));
        using var client = await app.ClientWithTokenAsync(created.ClientId, created.ClientSecret, "user/*.rs");
        await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.OK);
        await app.WithScopeAsync(async sp => { await sp.GetRequiredService<ManageUsersHandler>().SetActiveAsync(user.Id, false); return 0; });
        await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Sign_out_everywhere_revokes_a_users_outstanding_tokens()
    {
        var user = await app.CreateUserAsync(Roles.Administrator);
        var created = await app.WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("script", "user/*.rs", user.Id));
        using var client = await app.ClientWithTokenAsync(created.ClientId, created.ClientSecret, "user/*.rs");
        await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.OK);
        await app.WithScopeAsync(async sp => { await sp.GetRequiredService<ManageUsersHandler>().SignOutEverywhereAsync(user.Id); return 0; });
        await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var c = await NewBackendClientAsync("system/AuditEvent.rs");
        using var client = await app.ClientWithTokenAsync(c.ClientId, c.ClientSecret, "system/AuditEvent.rs");
        app.Clock.Advance(TimeSpan.FromMinutes(6));
        try { await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Unauthorized); }
        finally { app.Clock.Advance(TimeSpan.FromMinutes(-6)); }
    }

    [Fact]
    public async Task A_user_script_token_never_exceeds_the_users_role()
    {
        var user = await app.CreateUserAsync(Roles.FrontDesk);
        var created = await app.WithScopeAsync(sp => sp.GetRequiredService<ApiClientService>().CreateAsync("script", "user/*.cruds", user.Id));
        using var client = await app.ClientWithTokenAsync(created.ClientId, created.ClientSecret, "user/*.cruds");
        await (await client.GetAsync("/api/audit")).ExpectAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Smart_configuration_advertises_the_token_endpoint_and_client_secret_basic()
    {
        using var anonymous = app.AnonymousClient();
        var body = await (await anonymous.GetAsync("/.well-known/smart-configuration")).ExpectAsync(HttpStatusCode.OK);
        Assert.EndsWith("/oauth/token", body.GetProperty("token_endpoint").GetString());
        Assert.Contains("client_secret_basic", body.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("client_credentials", body.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
    }
}

public sealed class TokenEndpointTests_Sqlite(SqliteApp app) : TokenEndpointTests<SqliteApp>(app);
public sealed class TokenEndpointTests_PostgreSql(PostgreSqlApp app) : TokenEndpointTests<PostgreSqlApp>(app);
