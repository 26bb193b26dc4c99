using Meridian.Audit.Contracts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Security;

/// <summary>A refused request (401 or 403) to an audited endpoint is itself audited, with outcome Denied.</summary>
internal sealed class AuditingAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (!result.Succeeded && context.GetEndpoint()?.Metadata.GetMetadata<AuditedAttribute>() is { } audited)
        {
            var audit = context.RequestServices.GetRequiredService<IAuditTrail>();
            var id = context.Request.RouteValues.TryGetValue("id", out var v) ? v?.ToString() : null;
            await audit.RecordAsync(new AuditEntry(audited.Action, audited.ResourceType, id, Outcome: AuditOutcome.Denied,
                Detail: $"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} → {(result.Challenged ? 401 : 403)}"),
                context.RequestAborted);
        }
        await _default.HandleAsync(next, context, policy, result);
    }
}
