using Meridian.Identity.Security;
using Meridian.Web.Components;
using Microsoft.AspNetCore.Http.Json;

namespace Meridian.Web.Infrastructure;

internal static class HostSetup
{
    public static IServiceCollection AddMeridianHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        // Malformed JSON or an unbindable value throws BadHttpRequestException, which the handler turns into ProblemDetails
        // (by default minimal APIs answer an empty 400).
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        services.AddRazorComponents();
        services.AddCascadingAuthenticationState();
        services.AddAntiforgery();
        return services;
    }

    public static WebApplication UseMeridianPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async ctx =>
        {
            // Empty 4xx answers on the API (401, 403, 404 from routing) get a ProblemDetails body too.
            var http = ctx.HttpContext;
            if (http.Request.Path.StartsWithSegments("/fhir") && http.Response.ContentLength is null && !http.Response.HasStarted)
            {
                await Meridian.Fhir.FhirModule.WriteStatusOutcomeAsync(http);
                return;
            }
            if (http.Request.Path.StartsWithSegments("/api") && http.Response.ContentLength is null && !http.Response.HasStarted)
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = http.Response.StatusCode, Title = http.Response.StatusCode switch
                    {
                        401 => "Sign-in or a valid access token is required.",
                        403 => "You do not have permission to do this.",
                        404 => "Not found.",
                        _ => "The request could not be completed.",
                    } },
                });
        });
        // Static files are for pages; API and FHIR requests skip the file-system probe.
        app.UseWhen(ctx => !ctx.Request.Path.StartsWithSegments("/fhir") && !ctx.Request.Path.StartsWithSegments("/api"),
            branch => branch.UseStaticFiles());
        app.UseAuthentication();
        app.UseMfaEnforcement();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapMeridianPages(this WebApplication app)
    {
        app.MapRazorComponents<App>().AddAdditionalAssemblies(ModuleAssemblies.Pages);
        return app;
    }
}
