using System.Text.Json;
using Meridian.SharedKernel.Errors;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Fhir.Contracts;

/// <summary>
/// A FHIR resource type whose truth lives in another module (decision 0010). The owning module maps its own data to and
/// from FHIR JSON and audits each interaction; the Fhir module routes /fhir/{type} to it, parses HTTP (If-Match, body,
/// _count), validates incoming resources against the R4 definitions, writes the HTTP response and the searchset Bundle,
/// and turns failures into an OperationOutcome. Nothing of such a type is kept in the FHIR store.
/// </summary>
public interface IFhirResourceProvider
{
    /// <summary>Null when no such resource exists.</summary>
    Task<FhirResource?> ReadAsync(string id, CancellationToken ct);

    Task<FhirSearchPage> SearchAsync(FhirSearchRequest request, CancellationToken ct);

    /// <summary>The resource was validated against the R4 definitions. Throws <see cref="FhirOperationException"/> or a Meridian exception on refusal.</summary>
    Task<FhirResource> CreateAsync(JsonElement resource, CancellationToken ct);

    /// <summary><paramref name="expectedVersion"/> comes from If-Match; a different current version must fail with 412.</summary>
    Task<FhirResource> UpdateAsync(string id, JsonElement resource, int? expectedVersion, CancellationToken ct);
}

/// <summary>
/// One rendered resource: its id, its version (meta.versionId and the ETag) and last change when the owner keeps them
/// (a computed Slot has neither), and the JSON bytes sent as they are.
/// </summary>
public sealed record FhirResource(string Id, int? VersionId, DateTimeOffset? LastUpdated, byte[] Json);

/// <summary>
/// A search as the client sent it, minus the paging parameters. Parameters keep the client's keys (with modifiers) and
/// values; Strict is Prefer: handling=strict (R4 search.html#errors): unknown parameters are then refused, not ignored.
/// </summary>
public sealed record FhirSearchRequest(IReadOnlyList<KeyValuePair<string, string>> Parameters, int Offset, int Count, bool Strict);

/// <summary>
/// A page of matches. Applied lists the parameters actually used (they go into the Bundle's links); Notes become
/// OperationOutcome issues of severity information or warning in the Bundle (e.g. "the range was limited to 31 days").
/// </summary>
public sealed record FhirSearchPage(IReadOnlyList<FhirResource> Resources, int Total, IReadOnlyList<KeyValuePair<string, string>> Applied,
    IReadOnlyList<string> Notes);

/// <summary>A search parameter as published in the CapabilityStatement (type: token | reference | date | string).</summary>
public sealed record FhirSearchParam(string Name, string Type, string Documentation);

/// <summary>What a provided type supports, for the routes and the CapabilityStatement.</summary>
public sealed record FhirProvidedType(
    string ResourceType,
    string ReadPermission,
    string WritePermission,
    bool Create,
    bool Update,
    IReadOnlyList<FhirSearchParam> SearchParams,
    string? Profile = null);

/// <summary>A refusal with its FHIR issue code (R4 ValueSet issue-type), e.g. 422 business-rule or 400 not-supported.</summary>
public sealed class FhirOperationException(int status, string code, string message, string? expression = null) : MeridianException(message)
{
    public override int StatusCode => status;
    public string Code { get; } = code;
    public string? Expression { get; } = expression;
}

public static class FhirResourceProviderRegistration
{
    /// <summary>Registers a provider for one resource type (scoped: it may use a DbContext) and its capabilities.</summary>
    public static IServiceCollection AddFhirResourceProvider<TProvider>(this IServiceCollection services, FhirProvidedType type)
        where TProvider : class, IFhirResourceProvider
    {
        services.AddSingleton(type);
        services.AddKeyedScoped<IFhirResourceProvider, TProvider>(type.ResourceType);
        return services;
    }
}
