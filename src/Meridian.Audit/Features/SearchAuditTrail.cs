using System.Globalization;
using System.Text;
using Meridian.Audit.Contracts;
using Meridian.Audit.Data;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Audit.Features;

/// <summary>The administrator's audit report: filter by patient, user, action, date range; sort; page; export CSV.</summary>
internal sealed class SearchAuditTrail(AuditDbContext db) : IAuditReader
{
    public async Task<(IReadOnlyList<AuditRecordView> Items, int Total)> SearchAsync(AuditQuery q, CancellationToken ct = default)
    {
        if (q.Count is < 1 or > 1000) throw ValidationFailedException.For("count", "must be between 1 and 1000.");
        if (q.Offset < 0) throw ValidationFailedException.For("offset", "must not be negative.");
        if (q.From is { } f && q.To is { } t && t < f) throw ValidationFailedException.For("to", "must not be before 'from'.");
        var query = Filter(q);
        var total = await query.CountAsync(ct);
        query = q.Sort switch
        {
            "time" => query.OrderBy(r => r.Id),
            "-time" or "" => query.OrderByDescending(r => r.Id),
            "user" => query.OrderBy(r => r.UserName).ThenByDescending(r => r.Id),
            "-user" => query.OrderByDescending(r => r.UserName).ThenByDescending(r => r.Id),
            "action" => query.OrderBy(r => r.Action).ThenByDescending(r => r.Id),
            "-action" => query.OrderByDescending(r => r.Action).ThenByDescending(r => r.Id),
            "patient" => query.OrderBy(r => r.PatientId).ThenByDescending(r => r.Id),
            "-patient" => query.OrderByDescending(r => r.PatientId).ThenByDescending(r => r.Id),
            _ => throw ValidationFailedException.For("sort", "must be one of time, -time, user, -user, action, -action, patient, -patient."),
        };
        var rows = await query.Skip(q.Offset).Take(q.Count).AsNoTracking().ToListAsync(ct);
        return (rows.Select(ToView).ToList(), total);
    }

    public IAsyncEnumerable<Domain.AuditRecord> StreamAll(AuditQuery q) =>
        Filter(q).OrderBy(r => r.Id).AsNoTracking().AsAsyncEnumerable();

    private IQueryable<Domain.AuditRecord> Filter(AuditQuery q)
    {
        var query = db.Records.AsQueryable();
        if (!string.IsNullOrWhiteSpace(q.PatientId)) query = query.Where(r => r.PatientId == q.PatientId);
        if (!string.IsNullOrWhiteSpace(q.User)) query = query.Where(r => r.UserName == q.User || r.UserId == q.User || r.ClientId == q.User);
        if (!string.IsNullOrWhiteSpace(q.Action))
        {
            if (!Enum.TryParse<AuditAction>(q.Action, true, out var action))
                throw ValidationFailedException.For("action", $"'{q.Action}' is not an audit action ({string.Join(", ", Enum.GetNames<AuditAction>())}).");
            var name = action.ToString();
            query = query.Where(r => r.Action == name);
        }
        if (!string.IsNullOrWhiteSpace(q.ResourceType)) query = query.Where(r => r.ResourceType == q.ResourceType);
        if (q.From is { } from) { var f = from.UtcDateTime; query = query.Where(r => r.OccurredAt >= f); }
        if (q.To is { } to) { var t = to.UtcDateTime; query = query.Where(r => r.OccurredAt < t); }
        return query;
    }

    internal static AuditRecordView ToView(Domain.AuditRecord r) => new(
        r.Id, new DateTimeOffset(DateTime.SpecifyKind(r.OccurredAt, DateTimeKind.Utc)), r.UserId, r.UserName, r.Role, r.ClientId,
        r.PatientId, r.Action, r.ResourceType, r.ResourceId, r.Outcome, r.SourceAddress, r.Detail);

    internal static AuditQuery Parse(HttpRequest request)
    {
        var v = new Validator();
        DateTimeOffset? Date(string key)
        {
            var s = request.Query[key].ToString();
            if (string.IsNullOrEmpty(s)) return null;
            if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)) return d;
            v.Add(key, "must be a date (yyyy-MM-dd) or date-time.");
            return null;
        }
        int Int(string key, int fallback)
        {
            var s = request.Query[key].ToString();
            if (string.IsNullOrEmpty(s)) return fallback;
            if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
            v.Add(key, "must be a whole number.");
            return fallback;
        }
        var from = Date("from");
        var to = Date("to");
        // A plain date as 'to' means "through that day".
        if (to is { } t && request.Query["to"].ToString().Length == 10) to = t.AddDays(1);
        var q = new AuditQuery(
            NullIfEmpty(request.Query["patient"]), NullIfEmpty(request.Query["user"]), NullIfEmpty(request.Query["action"]),
            from, to, NullIfEmpty(request.Query["type"]), request.Query["sort"].ToString() is { Length: > 0 } s ? s : "-time",
            Int("offset", 0), Int("count", 50));
        v.ThrowIfInvalid();
        return q;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", async (HttpRequest request, SearchAuditTrail search, IAuditTrail audit, CancellationToken ct) =>
            {
                var q = Parse(request);
                var (items, total) = await search.SearchAsync(q, ct);
                await audit.RecordAsync(new AuditEntry(AuditAction.Search, "AuditEvent", PatientId: q.PatientId, Detail: request.QueryString.Value), ct);
                return Results.Ok(new { total, offset = q.Offset, count = q.Count, items });
            })
            .RequireAuthorization(Permissions.AuditRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Search, "AuditEvent"));

        app.MapGet("/api/audit/export.csv", async (HttpContext http, SearchAuditTrail search, IAuditTrail audit, CancellationToken ct) =>
            {
                var q = Parse(http.Request);
                await audit.RecordAsync(new AuditEntry(AuditAction.Export, "AuditEvent", PatientId: q.PatientId, Detail: http.Request.QueryString.Value), ct);
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = "attachment; filename=\"meridian-audit.csv\"";
                await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
                await writer.WriteLineAsync("sequence,occurred_at_utc,user_id,user_name,role,client_id,patient_id,action,resource_type,resource_id,outcome,source_address,detail,content_hash");
                await foreach (var r in search.StreamAll(q).WithCancellation(ct))
                {
                    var v = ToView(r);
                    await writer.WriteLineAsync(string.Join(',',
                        v.Sequence.ToString(CultureInfo.InvariantCulture), v.OccurredAt.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
                        Csv(v.UserId), Csv(v.UserName), Csv(v.Role), Csv(v.ClientId), Csv(v.PatientId), Csv(v.Action), Csv(v.ResourceType),
                        Csv(v.ResourceId), Csv(v.Outcome), Csv(v.SourceAddress), Csv(v.Detail), r.ContentHash));
                }
            })
            .RequireAuthorization(Permissions.AuditRead)
            .WithMetadata(new AuditedAttribute(AuditAction.Export, "AuditEvent"));
    }

    /// <summary>RFC 4180 quoting, and a leading quote on values a spreadsheet would run as a formula (CSV injection).</summary>
    internal static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
