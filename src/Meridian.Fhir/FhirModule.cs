using Meridian.Audit.Contracts;
using Meridian.Fhir.Contracts;
using Meridian.Fhir.Data;
using Meridian.Fhir.Demo;
using Meridian.Fhir.Features;
using Meridian.Fhir.Http;
using Meridian.Fhir.Store;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Fhir;

/// <summary>FHIR R4 at /fhir: a store with a search index, Patient/Coverage projected from the Patients module.</summary>
public static class FhirModule
{
    /// <summary>Resource types served, with the permissions that guard reading and writing them.</summary>
    internal static readonly IReadOnlyList<(string Type, string Read, string Write)> ResourceTypes =
    [
        ("Patient", Permissions.PatientRead, Permissions.PatientWrite),
        ("Coverage", Permissions.PatientRead, Permissions.PatientWrite),
        ("RelatedPerson", Permissions.PatientRead, Permissions.PatientWrite),
        ("Organization", Permissions.DirectoryRead, Permissions.DirectoryWrite),
        ("Practitioner", Permissions.DirectoryRead, Permissions.DirectoryWrite),
        ("Location", Permissions.DirectoryRead, Permissions.DirectoryWrite),
    ];

    public static IServiceCollection AddFhirModule(this IServiceCollection services)
    {
        services.AddDbContext<FhirDbContext>((sp, o) => o.UseMeridianDatabase(sp.GetRequiredService<DatabaseOptions>()));
        services.AddSingleton<FhirStore>();
        services.AddScoped<IPatientChangeObserver, PatientProjection>();
        services.AddScoped<DemoPracticeSeeder>();
        services.AddScoped<IDemoSeeder>(sp => sp.GetRequiredService<DemoPracticeSeeder>());
        services.AddSingleton(new ModuleMigrations(FhirDbContext.Schema, typeof(FhirModule).Assembly, Order: 40));
        return services;
    }

    /// <summary>
    /// An empty error status on /fhir (401 and 403 from authorization, 404 for an unknown resource type, 405) gets an
    /// OperationOutcome body, as FHIR clients expect on every failure (R4 http.html#Status-Codes).
    /// </summary>
    public static Task WriteStatusOutcomeAsync(HttpContext http)
    {
        var status = http.Response.StatusCode;
        var (code, text) = status switch
        {
            401 => ("login", "A valid access token is required (see /.well-known/smart-configuration)."),
            403 => ("forbidden", "The access token does not grant this interaction."),
            404 when UnsupportedType(http) is { } type => ("not-supported",
                $"Meridian does not serve the resource type '{type}' (it serves {string.Join(", ", ServedTypes(http.RequestServices))} and AuditEvent; see /fhir/metadata)."),
            404 => ("not-supported", $"No FHIR interaction is defined at {http.Request.Method} {http.Request.Path}."),
            405 => ("not-supported", $"{http.Request.Method} is not supported at {http.Request.Path}."),
            _ => ("processing", $"The request failed with HTTP {status}."),
        };
        return FhirError.WriteAsync(http, status, [new FhirIssue(code, text)]);
    }

    /// <summary>The first path segment after /fhir when it looks like a resource type (R4: an upper-case letter first) Meridian does not serve.</summary>
    private static string? UnsupportedType(HttpContext http)
    {
        var segments = http.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (segments.Length < 2 || segments[0] != "fhir" || segments[1].Length == 0 || !char.IsAsciiLetterUpper(segments[1][0])) return null;
        var type = segments[1];
        return ServedTypes(http.RequestServices).Contains(type) || type == "AuditEvent" || !type.All(char.IsAsciiLetter) ? null : type;
    }

    /// <summary>The stored types and the types other modules provide (Schedule, Slot, Appointment).</summary>
    internal static IReadOnlyList<string> ServedTypes(IServiceProvider services) =>
        ResourceTypes.Select(t => t.Type).Concat(services.GetServices<FhirProvidedType>().Select(t => t.ResourceType)).ToList();

    public static IEndpointRouteBuilder MapFhirModule(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir").AddEndpointFilter(FhirHttp.OperationOutcomeFilter);

        // R4 http.html#capabilities: the CapabilityStatement is public so clients can discover how to authenticate.
        fhir.MapGet("/metadata", (HttpContext http, TimeProvider time) => GetCapabilityStatement.Get(http, time))
            .AllowAnonymous();

        fhir.MapGet("/AuditEvent", (HttpContext http, IAuditReader reader, IAuditTrail audit) => SearchAuditEvents.Search(http, reader, audit))
            .RequireAuthorization(Permissions.AuditRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "AuditEvent"));

        fhir.MapPost("/", (HttpContext http, IAuditTrail audit) => PostToBase.Refuse(http, audit))
            .RequireAuthorization(Permissions.PatientWrite)
            .WithMetadata(new AuditedAttribute(AuditAction.Create, "Bundle"));

        foreach (var (type, read, write) in ResourceTypes)
        {
            fhir.MapGet($"/{type}/{{id}}", (HttpContext http, string id, FhirStore store, IAuditTrail audit) => ReadResource.Read(http, type, id, store, audit))
                .RequireAuthorization(read)
                .WithMetadata(new AuditedAttribute(AuditAction.Read, type));
            fhir.MapGet($"/{type}/{{id}}/_history/{{vid:int}}", (HttpContext http, string id, int vid, FhirStore store, IAuditTrail audit) =>
                    ReadResource.ReadVersion(http, type, id, vid, store, audit))
                .RequireAuthorization(read)
                .WithMetadata(new AuditedAttribute(AuditAction.Read, type));
            fhir.MapGet($"/{type}", (HttpContext http, FhirStore store, IAuditTrail audit) => SearchResources.Search(http, type, store, audit))
                .RequireAuthorization(read)
                .WithMetadata(new AuditedAttribute(AuditAction.Search, type));
            fhir.MapPost($"/{type}", (HttpContext http, FhirStore store, IAuditTrail audit, TimeProvider time) => WriteResource.Create(http, type, store, audit, time))
                .RequireAuthorization(write)
                .WithMetadata(new AuditedAttribute(AuditAction.Create, type));
            fhir.MapPut($"/{type}/{{id}}", (HttpContext http, string id, FhirStore store, IAuditTrail audit, TimeProvider time) =>
                    WriteResource.Update(http, type, id, store, audit, time))
                .RequireAuthorization(write)
                .WithMetadata(new AuditedAttribute(AuditAction.Update, type));
        }
        // Types whose truth is another module's (decision 0010): routed to that module's provider, never stored here.
        foreach (var provided in app.ServiceProvider.GetServices<FhirProvidedType>())
        {
            var type = provided.ResourceType;
            fhir.MapGet($"/{type}/{{id}}", (HttpContext http, string id) => ProvidedResources.Read(http, type, id))
                .RequireAuthorization(provided.ReadPermission)
                .WithMetadata(new AuditedAttribute(AuditAction.Read, type));
            fhir.MapGet($"/{type}", (HttpContext http) => ProvidedResources.Search(http, type))
                .RequireAuthorization(provided.ReadPermission)
                .WithMetadata(new AuditedAttribute(AuditAction.Search, type));
            if (provided.Create)
                fhir.MapPost($"/{type}", (HttpContext http) => ProvidedResources.Create(http, type))
                    .RequireAuthorization(provided.WritePermission)
                    .WithMetadata(new AuditedAttribute(AuditAction.Create, type));
            if (provided.Update)
                fhir.MapPut($"/{type}/{{id}}", (HttpContext http, string id) => ProvidedResources.Update(http, type, id))
                    .RequireAuthorization(provided.WritePermission)
                    .WithMetadata(new AuditedAttribute(AuditAction.Update, type));
        }
        return app;
    }
}
