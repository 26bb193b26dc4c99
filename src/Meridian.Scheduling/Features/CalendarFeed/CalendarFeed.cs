using System.Text;
using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Features.CalendarFeed;

public sealed record CalendarFeedCreated(string Url, string Token);

/// <summary>
/// A provider's appointments as an iCalendar (RFC 5545) feed for their phone or desktop calendar. The URL's token is the
/// only credential a calendar app can carry, so it is 256 random bits, stored only as its SHA-256, shown once, and
/// revocable (a new one replaces it). The feed leaves the building: events carry the visit type and the patient's initials,
/// never names or dates of birth (minimum necessary, HIPAA §164.502(b)).
/// </summary>
internal sealed class CalendarFeedHandler(SchedulingStore store, IAuditTrail audit, IPatientDirectory patients, TimeProvider time)
{
    public static readonly TimeSpan Back = TimeSpan.FromDays(30);
    public static readonly TimeSpan Ahead = TimeSpan.FromDays(180);

    public async Task<CalendarFeedCreated> RotateAsync(Guid providerId, string baseUrl, CancellationToken ct = default)
    {
        var db = store.Db;
        var provider = await db.Providers.FirstOrDefaultAsync(p => p.Id == providerId, ct) ?? throw new NotFoundException($"Provider {providerId} was not found.");
        RequireOwnerOrAdmin(provider);
        var token = LinkTokens.New(32);
        provider.CalendarFeedTokenHash = LinkTokens.Hash(token);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "Provider", provider.Id.ToString(), Detail: "calendar feed issued (any earlier feed URL revoked)"),
            tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
        return new CalendarFeedCreated($"{baseUrl.TrimEnd('/')}/calendar/{token}.ics", token);
    }

    public async Task RevokeAsync(Guid providerId, CancellationToken ct = default)
    {
        var db = store.Db;
        var provider = await db.Providers.FirstOrDefaultAsync(p => p.Id == providerId, ct) ?? throw new NotFoundException($"Provider {providerId} was not found.");
        RequireOwnerOrAdmin(provider);
        provider.CalendarFeedTokenHash = null;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new AuditEntry(AuditAction.PrivilegeChange, "Provider", provider.Id.ToString(), Detail: "calendar feed revoked"), tx.GetDbTransaction(), ct);
        await tx.CommitAsync(ct);
    }

    private void RequireOwnerOrAdmin(Provider provider)
    {
        var own = provider.StaffUserId is { } user && user == store.Actor.UserId;
        if (!own) store.Require(Permissions.ScheduleAdmin);
    }

    /// <summary>The feed, or null for an unknown or revoked token (the caller answers 404 either way).</summary>
    public async Task<string?> RenderAsync(string token, CancellationToken ct = default)
    {
        if (token.Length is < 40 or > 64) return null;
        var db = store.Db;
        var hash = LinkTokens.Hash(token);
        var provider = await db.Providers.AsNoTracking().FirstOrDefaultAsync(p => p.CalendarFeedTokenHash == hash, ct);
        if (provider is null) return null;
        var now = time.GetUtcNow().UtcDateTime;
        var (from, to) = (now - Back, now + Ahead);
        var rows = await db.Appointments.AsNoTracking()
            .Where(a => a.ProviderId == provider.Id && a.StartUtc >= from && a.StartUtc < to).OrderBy(a => a.StartUtc).ToListAsync(ct);
        var types = await db.AppointmentTypes.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.Name, ct);
        var locations = await db.Locations.AsNoTracking().ToDictionaryAsync(l => l.Id, l => l.Name, ct);
        var people = (await patients.FindManyAsync(rows.Select(a => new PatientId(a.PatientId)).Distinct().ToList(), ct)).ToDictionary(p => p.Id.Value);

        var ics = new IcsWriter();
        ics.Line("BEGIN:VCALENDAR");
        ics.Line("VERSION:2.0");
        ics.Line("PRODID:-//Meridian//Scheduling//EN");
        ics.Line("CALSCALE:GREGORIAN");
        ics.Line("METHOD:PUBLISH");
        ics.Property("X-WR-CALNAME", $"{provider.Name} — Meridian");
        foreach (var a in rows)
        {
            people.TryGetValue(a.PatientId, out var person);
            var initials = person is null ? "?" : string.Concat(person.Details.LegalName.Given.Take(1).Append(person.Details.LegalName.Family)
                .Where(s => s.Length > 0).Select(s => char.ToUpperInvariant(s[0]) + "."));
            ics.Line("BEGIN:VEVENT");
            ics.Line($"UID:{a.Id}@meridian");
            ics.Line($"DTSTAMP:{Stamp(now)}");
            ics.Line($"DTSTART:{Stamp(a.StartUtc)}");
            ics.Line($"DTEND:{Stamp(a.EndUtc)}");
            ics.Property("SUMMARY", $"{types.GetValueOrDefault(a.AppointmentTypeId, "Appointment")} – {initials}");
            ics.Property("LOCATION", locations.GetValueOrDefault(a.LocationId, ""));
            // RFC 5545 §3.8.1.11: a cancelled event stays in the feed as CANCELLED so calendars remove it.
            ics.Line($"STATUS:{(a.Holds ? "CONFIRMED" : "CANCELLED")}");
            ics.Line($"SEQUENCE:{a.Version}");
            ics.Line("END:VEVENT");
        }
        ics.Line("END:VCALENDAR");
        // One entry per patient whose visits (initials, type, time) left in the feed, so each patient's disclosure history
        // shows it; a feed with no appointments still records that it was read.
        var detail = $"calendar feed of {provider.Name}";
        var entries = rows.Select(a => a.PatientId).Distinct()
            .Select(p => new AuditEntry(AuditAction.Export, "Appointment", PatientId: p.ToString(), Detail: detail))
            .DefaultIfEmpty(new AuditEntry(AuditAction.Export, "Appointment", Detail: $"{detail}: no events"))
            .Select(e => e with { UserIdOverride = $"calendar-feed:{provider.Id}", UserNameOverride = $"Calendar feed ({provider.Name})" })
            .ToList();
        await audit.RecordManyAsync(entries, null, ct);
        return ics.ToString();
    }

    private static string Stamp(DateTime utc) => utc.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/scheduling/providers/{id:guid}/calendar-feed", async (Guid id, HttpContext http, CalendarFeedHandler handler, CancellationToken ct) =>
                Results.Ok(await handler.RotateAsync(id, $"{http.Request.Scheme}://{http.Request.Host}", ct)))
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "Provider"));
        app.MapDelete("/api/scheduling/providers/{id:guid}/calendar-feed", async (Guid id, CalendarFeedHandler handler, CancellationToken ct) =>
            {
                await handler.RevokeAsync(id, ct);
                return Results.NoContent();
            })
            .RequireAuthorization(Permissions.ScheduleRead)
            .WithMetadata(new AuditedAttribute(AuditAction.PrivilegeChange, "Provider"));
        // The token in the path is the credential: calendar apps cannot sign in.
        app.MapGet("/calendar/{file}", async (string file, CalendarFeedHandler handler, CancellationToken ct) =>
                file.EndsWith(".ics", StringComparison.Ordinal) && await handler.RenderAsync(file[..^4], ct) is { } body
                    ? Results.Text(body, "text/calendar; charset=utf-8")
                    : Results.NotFound())
            .AllowAnonymous()
            .WithMetadata(new AuditedAttribute(AuditAction.Export, "Appointment"));
    }
}

/// <summary>RFC 5545 §3.1 content lines: CRLF endings, lines folded at 75 octets, TEXT values escaped (§3.3.11).</summary>
internal sealed class IcsWriter
{
    private readonly StringBuilder _out = new();

    public void Property(string name, string text) => Line($"{name}:{Escape(text)}");

    public void Line(string line)
    {
        var bytes = 0;
        foreach (var rune in line.EnumerateRunes())
        {
            var size = rune.Utf8SequenceLength;
            // A continuation line starts with one space, which counts toward its 75 octets.
            if (bytes + size > 75)
            {
                _out.Append("\r\n ");
                bytes = 1;
            }
            _out.Append(rune.ToString());
            bytes += size;
        }
        _out.Append("\r\n");
    }

    public static string Escape(string text) =>
        text.Replace("\\", "\\\\").Replace(";", "\\;").Replace(",", "\\,").Replace("\r\n", "\\n").Replace("\n", "\\n");

    public override string ToString() => _out.ToString();
}
