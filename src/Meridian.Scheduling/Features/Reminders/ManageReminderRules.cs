using Meridian.Audit.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Features.Reminders;

/// <summary>
/// A reminder rule. Channels in order of preference (the first the patient can receive is used); no appointment types =
/// every type. The template's merge fields are checked when the rule is saved: an unknown field is a 400, never a
/// reminder with a hole in it.
/// </summary>
public sealed record ReminderRuleRequest(string Name, int HoursBefore, IReadOnlyList<string> Channels, IReadOnlyList<Guid>? AppointmentTypeIds,
    string Template, bool Active = true, int? ExpectedVersion = null);

public sealed record ReminderRuleView(Guid Id, string Name, int HoursBefore, IReadOnlyList<string> Channels, IReadOnlyList<Guid> AppointmentTypeIds,
    string Template, bool Active, int Version);

internal sealed class ManageReminderRulesHandler(SchedulingStore store, IAuditTrail audit, TimeProvider time)
{
    public const int MaxHoursBefore = 24 * 14;

    public async Task<IReadOnlyList<ReminderRuleView>> ListAsync(CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        var rules = await store.Db.ReminderRules.AsNoTracking().OrderByDescending(r => r.HoursBefore).ThenBy(r => r.Name).ToListAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Search, "ReminderRule", Detail: "reminder rules"), ct);
        return rules.Select(View).ToList();
    }

    public async Task<ReminderRuleView> CreateAsync(ReminderRuleRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        await ValidateAsync(r, ct);
        var now = store.UtcNow;
        var rule = new ReminderRule { Id = TypedIds.NewGuid(time), Version = 1, CreatedAt = now, UpdatedAt = now };
        Apply(rule, r);
        await using var tx = await store.Db.Database.BeginTransactionAsync(ct);
        store.Db.ReminderRules.Add(rule);
        await store.Db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.Create, "ReminderRule", rule.Id.ToString(), Detail: $"{rule.Name}, {rule.HoursBefore} h before"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return View(rule);
    }

    public async Task<ReminderRuleView> UpdateAsync(Guid id, ReminderRuleRequest r, CancellationToken ct = default)
    {
        store.Require(Permissions.ScheduleAdmin);
        await ValidateAsync(r, ct);
        await using var tx = await store.Db.Database.BeginTransactionAsync(ct);
        var rule = await store.Db.ReminderRules.FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException($"Reminder rule {id} was not found.");
        if (r.ExpectedVersion is { } v && v != rule.Version) throw new PreconditionFailedException("This rule was changed by someone else since you opened it. Reload it and try again.");
        Apply(rule, r);
        rule.Version++;
        rule.UpdatedAt = store.UtcNow;
        try { await store.Db.SaveChangesAsync(ct); }
        catch (DbUpdateConcurrencyException) { throw new PreconditionFailedException("This rule was changed by someone else since you opened it."); }
        await audit.RecordAsync(new AuditEntry(AuditAction.Update, "ReminderRule", rule.Id.ToString(), Detail: $"{rule.Name}, {rule.HoursBefore} h before, active {rule.Active}"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return View(rule);
    }

    private async Task ValidateAsync(ReminderRuleRequest r, CancellationToken ct)
    {
        var v = new Validator();
        v.Required("name", r.Name).MaxLength("name", r.Name, Limits.Name);
        if (r.HoursBefore is < 1 or > MaxHoursBefore) v.Add("hoursBefore", $"Use 1 to {MaxHoursBefore} hours.");
        var channels = r.Channels ?? [];
        if (channels.Count == 0) v.Add("channels", "Choose sms, email or both.");
        else if (channels.Any(c => c is not ("sms" or "email")) || channels.Distinct().Count() != channels.Count) v.Add("channels", "Use sms and/or email, each once.");
        if (string.IsNullOrWhiteSpace(r.Template)) v.Add("template", "is required.");
        else
        {
            v.MaxLength("template", r.Template, ReminderTemplate.MaxLength);
            foreach (var problem in ReminderTemplate.Problems(r.Template)) v.Add("template", problem);
        }
        var typeIds = (r.AppointmentTypeIds ?? []).Distinct().ToList();
        if (typeIds.Count > 20) v.Add("appointmentTypeIds", "At most 20 types (or none for every type).");
        else if (typeIds.Count > 0 && await store.Db.AppointmentTypes.CountAsync(t => typeIds.Contains(t.Id), ct) != typeIds.Count)
            v.Add("appointmentTypeIds", "Choose existing appointment types.");
        v.ThrowIfInvalid();
    }

    private static void Apply(ReminderRule rule, ReminderRuleRequest r)
    {
        rule.Name = r.Name.Trim();
        rule.HoursBefore = r.HoursBefore;
        rule.Channels = string.Join(',', r.Channels);
        rule.AppointmentTypeIds = string.Join(',', (r.AppointmentTypeIds ?? []).Distinct());
        rule.Template = r.Template.Trim();
        rule.Active = r.Active;
    }

    internal static ReminderRuleView View(ReminderRule r) => new(r.Id, r.Name, r.HoursBefore, r.ChannelList(), r.TypeIds(), r.Template, r.Active, r.Version);

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/scheduling/reminder-rules", async (ManageReminderRulesHandler h, CancellationToken ct) => Results.Ok(await h.ListAsync(ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "ReminderRule"));
        app.MapPost("/api/scheduling/reminder-rules", async (ReminderRuleRequest r, ManageReminderRulesHandler h, CancellationToken ct) =>
            {
                var view = await h.CreateAsync(r, ct);
                return Results.Created($"/api/scheduling/reminder-rules/{view.Id}", view);
            })
            .RequireAuthorization(Permissions.ScheduleAdmin)
            .WithMetadata(new AuditedAttribute(AuditAction.Create, "ReminderRule"));
        app.MapPut("/api/scheduling/reminder-rules/{id:guid}", async (Guid id, ReminderRuleRequest r, ManageReminderRulesHandler h, CancellationToken ct) =>
                Results.Ok(await h.UpdateAsync(id, r, ct)))
            .RequireAuthorization(Permissions.ScheduleAdmin)
            .WithMetadata(new AuditedAttribute(AuditAction.Update, "ReminderRule"));
    }
}
