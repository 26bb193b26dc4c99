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
}
