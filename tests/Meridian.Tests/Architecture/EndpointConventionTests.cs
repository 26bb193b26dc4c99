using Meridian.Audit.Contracts;
using Meridian.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Architecture;

/// <summary>Every API and FHIR endpoint declares who may call it and what it writes to the audit trail.</summary>
public sealed class EndpointConventionTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private IReadOnlyList<RouteEndpoint> ApiEndpoints() =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } p && (p.StartsWith("/api", StringComparison.Ordinal) || p.StartsWith("/fhir", StringComparison.Ordinal)))
            .ToList();

    [Fact]
    public void Every_api_and_fhir_endpoint_requires_authorization_unless_it_is_public_metadata()
    {
        var endpoints = ApiEndpoints();
        Assert.NotEmpty(endpoints);
        // Public by specification: the FHIR CapabilityStatement (FHIR R4 §3.1.0.11, read without authentication).
        var offenders = endpoints
            .Where(e => e.RoutePattern.RawText != "/fhir/metadata")
            .Where(e => e.Metadata.GetMetadata<IAuthorizeData>() is null || e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.DisplayName).ToList();
        Assert.True(offenders.Count == 0, "Endpoints without authorization: " + string.Join(", ", offenders));
    }

    [Fact]
    public void Every_api_and_fhir_endpoint_declares_its_audit_event()
    {
        var offenders = ApiEndpoints()
            .Where(e => e.RoutePattern.RawText != "/fhir/metadata")
            .Where(e => e.Metadata.GetMetadata<AuditedAttribute>() is null)
            .Select(e => e.DisplayName).ToList();
        Assert.True(offenders.Count == 0, "Endpoints that declare no audit event: " + string.Join(", ", offenders));
    }
}
