using System.Security.Cryptography;
using System.Text;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.SharedKernel.Errors;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Scheduling.Domain;

/// <summary>One overlapping booking that stands in the way: whose time it takes (provider, room or patient) and when.</summary>
internal sealed record BookingConflict(string Holder, Guid AppointmentId, DateTimeOffset Start, DateTimeOffset End);

/// <summary>409 for a double booking, listing what it collides with so the screen can say so.</summary>
internal sealed class DoubleBookingException(IReadOnlyList<BookingConflict> conflicts, string? message = null)
    : MeridianException(message ?? Describe(conflicts))
{
    public IReadOnlyList<BookingConflict> Conflicts { get; } = conflicts;
    public override int StatusCode => 409;
    public override IReadOnlyDictionary<string, object?>? Extensions => new Dictionary<string, object?> { ["conflicts"] = Conflicts };

    private static string Describe(IReadOnlyList<BookingConflict> conflicts)
    {
        var holders = conflicts.Select(c => c.Holder).Distinct().ToList();
        var who = string.Join(" and ", holders.Select(h => h switch { "provider" => "the provider", "patient" => "the patient", _ => "the room" }));
        return $"That time is already taken: {who} already {(holders.Count > 1 ? "have" : "has")} an appointment then " +
               $"({conflicts[0].Start.UtcDateTime:yyyy-MM-dd HH:mm}–{conflicts[0].End.UtcDateTime:HH:mm} UTC). Choose another time.";
    }
}

internal static class BookingRules
{
    /// <summary>No appointment is longer than this; it bounds the overlap query to an index range.</summary>
    public static readonly TimeSpan MaxLength = TimeSpan.FromHours(12);

    public static readonly string[] Ended = [nameof(AppointmentStatus.Cancelled), nameof(AppointmentStatus.NoShow)];

    /// <summary>
    /// Serializes bookings that touch the same provider, room or patient. SQLite has one writer: the transaction's
    /// BEGIN IMMEDIATE (taken through SqliteWriteGate) already orders every booking, so check-then-insert cannot race.
    /// PostgreSQL under READ COMMITTED would let two transactions both see "free" and both insert, so each booking takes a
    /// transaction-scoped advisory lock per holder first, in a fixed order so two bookings never wait on each other.
    /// </summary>
    public static async Task LockAsync(SchedulingDbContext db, IEnumerable<string> holders, CancellationToken ct)
    {
        if (db.Database.IsSqlite()) return;
        var keys = holders.Select(h => Key("scheduling:" + h)).Distinct().Order().ToList();
        if (keys.Count == 0) return;
        var connection = db.Database.GetDbConnection();
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var sql = new StringBuilder();
        for (var i = 0; i < keys.Count; i++)
        {
            sql.Append($"SELECT pg_advisory_xact_lock(@k{i});");
            var p = cmd.CreateParameter();
            p.ParameterName = $"k{i}";
            p.Value = keys[i];
            cmd.Parameters.Add(p);
        }
        cmd.CommandText = sql.ToString();
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static long Key(string text) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);

    /// <summary>Bookings still holding time that overlap [start, end) for the provider, the room or the patient.</summary>
    public static async Task<List<BookingConflict>> FindConflictsAsync(SchedulingDbContext db, Guid providerId, Guid patientId,
        Guid? resourceId, DateTime start, DateTime end, IReadOnlyCollection<Guid> excluding, CancellationToken ct)
    {
        var earliest = start - MaxLength;
        var rows = await db.Appointments.AsNoTracking()
            .Where(a => a.StartUtc < end && a.StartUtc > earliest && a.EndUtc > start && !Ended.Contains(a.Status))
            .Where(a => a.ProviderId == providerId || a.PatientId == patientId || (resourceId != null && a.ResourceId == resourceId))
            .Select(a => new { a.Id, a.ProviderId, a.PatientId, a.ResourceId, a.StartUtc, a.EndUtc })
            .ToListAsync(ct);
        var conflicts = new List<BookingConflict>();
        foreach (var a in rows.Where(r => !excluding.Contains(r.Id)))
        {
            var holder = a.ProviderId == providerId ? "provider" : a.PatientId == patientId ? "patient" : "room";
            conflicts.Add(new BookingConflict(holder, a.Id, new DateTimeOffset(a.StartUtc), new DateTimeOffset(a.EndUtc)));
        }
        return conflicts;
    }

    public static async Task<List<AvailabilityException>> ExceptionsAsync(SchedulingDbContext db, IReadOnlyCollection<Guid> providerIds,
        DateTime from, DateTime to, CancellationToken ct) =>
        await db.Exceptions.AsNoTracking()
            .Where(x => x.StartUtc < to && x.EndUtc > from && (x.ProviderId == null || providerIds.Contains(x.ProviderId.Value)))
            .ToListAsync(ct);
}
