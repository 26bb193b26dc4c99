using System.Data.Common;
using Meridian.Audit.Contracts;
using Meridian.Audit.Domain;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Security;

namespace Meridian.Audit.Features;

/// <summary>
/// Appends hash-chained records. Appends are serialized so that each record links to exactly one predecessor:
/// on PostgreSQL by a transaction-scoped advisory lock, on SQLite by its single writer (write transactions
/// begin IMMEDIATE). The lock is held only to the end of the caller's transaction, which is short.
/// </summary>
internal sealed class AuditTrail(DatabaseOptions db, ICurrentActor actor, TimeProvider time) : IAuditTrail
{
    private const long ChainLockKey = 0x4175646974436861; // "AuditCha"
    private readonly string _table = ModuleDatabase.QualifiedTable(db.Provider, AuditDbContext_Schema, "record");
    private const string AuditDbContext_Schema = Data.AuditDbContext.Schema;

    public Task RecordAsync(AuditEntry entry, DbTransaction transaction, CancellationToken ct = default) =>
        AppendAsync([entry], transaction, ct);

    public async Task RecordAsync(AuditEntry entry, CancellationToken ct = default) =>
        await RecordManyAsync([entry], null, ct);

    public async Task RecordManyAsync(IReadOnlyList<AuditEntry> entries, DbTransaction? transaction, CancellationToken ct = default)
    {
        if (entries.Count == 0) return;
        if (transaction is not null)
        {
            await AppendAsync(entries, transaction, ct);
            return;
        }
        await using var connection = DbConnections.Create(db);
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await AppendAsync(entries, tx, ct);
        await tx.CommitAsync(ct);
    }

    private async Task AppendAsync(IReadOnlyList<AuditEntry> entries, DbTransaction tx, CancellationToken ct)
    {
        var connection = tx.Connection ?? throw new InvalidOperationException("The transaction has no connection.");
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            await using var lockCmd = connection.CreateCommand();
            lockCmd.Transaction = tx;
            lockCmd.CommandText = $"SELECT pg_advisory_xact_lock({ChainLockKey})";
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        long lastSequence = 0;
        string lastHash = AuditRecord.GenesisHash;
        await using (var last = connection.CreateCommand())
        {
            last.Transaction = tx;
            last.CommandText = $"SELECT sequence, hash FROM {_table} ORDER BY sequence DESC LIMIT 1";
            await using var reader = await last.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                lastSequence = reader.GetInt64(0);
                lastHash = reader.GetString(1);
            }
        }

        // Microsecond precision: what both providers store exactly, so the hash recomputes after a round trip.
        var now = time.GetUtcNow().UtcDateTime;
        now = new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);

        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText =
            $"INSERT INTO {_table} (sequence, occurred_at, user_id, user_name, role, client_id, patient_id, action, resource_type, " +
            "resource_id, outcome, source_address, detail, previous_hash, hash) VALUES " +
            "(@seq, @at, @uid, @uname, @role, @client, @patient, @action, @rtype, @rid, @outcome, @source, @detail, @prev, @hash)";
        var p = new Dictionary<string, DbParameter>();
        foreach (var name in new[] { "@seq", "@at", "@uid", "@uname", "@role", "@client", "@patient", "@action", "@rtype", "@rid", "@outcome", "@source", "@detail", "@prev", "@hash" })
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = name;
            insert.Parameters.Add(parameter);
            p[name] = parameter;
        }

        foreach (var entry in entries)
        {
            var record = new AuditRecord
            {
                Sequence = ++lastSequence,
                OccurredAt = now,
                UserId = entry.UserIdOverride ?? actor.UserId,
                UserName = Truncate(entry.UserNameOverride ?? actor.UserName, 256),
                Role = entry.RoleOverride ?? actor.Role,
                ClientId = entry.ClientIdOverride ?? actor.ClientId,
                PatientId = entry.PatientId,
                Action = entry.Action.ToString(),
                ResourceType = entry.ResourceType,
                ResourceId = Truncate(entry.ResourceId, 128),
                Outcome = entry.Outcome.ToString(),
                SourceAddress = Truncate(actor.SourceAddress, 64),
                Detail = Truncate(entry.Detail, 2000),
                PreviousHash = lastHash,
            };
            record.Hash = record.ComputeHash();
            lastHash = record.Hash;

            p["@seq"].Value = record.Sequence;
            p["@at"].Value = db.Provider == DatabaseProvider.Sqlite ? AuditStorage.FormatSqliteTime(record.OccurredAt) : record.OccurredAt;
            p["@uid"].Value = (object?)record.UserId ?? DBNull.Value;
            p["@uname"].Value = (object?)record.UserName ?? DBNull.Value;
            p["@role"].Value = (object?)record.Role ?? DBNull.Value;
            p["@client"].Value = (object?)record.ClientId ?? DBNull.Value;
            p["@patient"].Value = (object?)record.PatientId ?? DBNull.Value;
            p["@action"].Value = record.Action;
            p["@rtype"].Value = record.ResourceType;
            p["@rid"].Value = (object?)record.ResourceId ?? DBNull.Value;
            p["@outcome"].Value = record.Outcome;
            p["@source"].Value = (object?)record.SourceAddress ?? DBNull.Value;
            p["@detail"].Value = (object?)record.Detail ?? DBNull.Value;
            p["@prev"].Value = record.PreviousHash;
            p["@hash"].Value = record.Hash;
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}

internal static class AuditStorage
{
    /// <summary>The text form EF Core's SQLite provider uses for DateTime, so EF reads what raw SQL wrote.</summary>
    public static string FormatSqliteTime(DateTime utc) =>
        utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);
}
