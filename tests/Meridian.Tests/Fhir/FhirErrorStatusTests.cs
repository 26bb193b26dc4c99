using System.Net;
using Meridian.SharedKernel.Security;
using Meridian.Tests.Infrastructure;

namespace Meridian.Tests.Fhir;

/// <summary>Failures the host decides (authentication, authorization, routing) still answer with an OperationOutcome on /fhir.</summary>
public sealed class FhirErrorStatusTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Theory]
    [InlineData("/fhir/Patient?family=x", HttpStatusCode.Unauthorized, "login")]
    public async Task An_unauthenticated_fhir_request_gets_an_operation_outcome(string url, HttpStatusCode status, string code)
    {
        using var anonymous = app.AnonymousClient();
        var response = await anonymous.GetAsync(url);
        var body = await response.ExpectAsync(status);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());
        Assert.Equal(code, body.GetProperty("issue")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_request_without_the_permission_gets_403_with_an_operation_outcome()
    {
        using var biller = await app.ClientForRoleAsync(Roles.Biller);
        var body = await (await biller.PostAsync("/fhir/Organization", new StringContent("{}", System.Text.Encoding.UTF8, "application/fhir+json")))
            .ExpectAsync(HttpStatusCode.Forbidden);
        Assert.Equal("forbidden", body.GetProperty("issue")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unsupported_resource_type_gets_404_with_an_operation_outcome()
    {
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var body = await (await admin.GetAsync("/fhir/Observation/123")).ExpectAsync(HttpStatusCode.NotFound);
        Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());
    }

    [Theory]
    [InlineData("/fhir", HttpStatusCode.BadRequest, "Bundle")]
    [InlineData("/fhir/", HttpStatusCode.BadRequest, "Bundle")]
    [InlineData("/fhir/Bundle", HttpStatusCode.NotFound, "Bundle")]
    [InlineData("/fhir/Observation", HttpStatusCode.NotFound, "Observation")]
    [InlineData("/fhir/Patient", HttpStatusCode.BadRequest, "Bundle")]
    public async Task Posting_a_bundle_or_an_unsupported_type_gets_a_clear_operation_outcome(string url, HttpStatusCode status, string mentioned)
    {
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        const string bundle = """{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"Batch"}]},"request":{"method":"POST","url":"Patient"}}]}""";
        var json = url.EndsWith("/Observation", StringComparison.Ordinal) ? """{"resourceType":"Observation","status":"final","code":{"text":"x"}}""" : bundle;
        using var response = await admin.PostAsync(url, new StringContent(json, System.Text.Encoding.UTF8, "application/fhir+json"));
        var body = await response.ExpectAsync(status);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());
        var diagnostics = body.GetProperty("issue")[0].GetProperty("diagnostics").GetString()!;
        Assert.Contains(mentioned, diagnostics);
        Assert.Equal(0, (await (await admin.GetAsync("/fhir/Patient?family=batch")).ExpectAsync(HttpStatusCode.OK)).GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("xx2020-01-01")]
    public async Task A_date_search_value_with_an_unknown_prefix_is_reported_whole(string value)
    {
        using var admin = await app.ClientForRoleAsync(Roles.Administrator);
        var body = await (await admin.GetAsync($"/fhir/Patient?birthdate={value}")).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains($"'{value}'", body.GetProperty("issue")[0].GetProperty("diagnostics").GetString());
    }
}
