using System.Data.Common;
using System.Threading.Channels;
using Meridian.Audit.Contracts;
using Meridian.Audit.Domain;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Security;
using Microsoft.Extensions.Logging;

namespace Meridian.Audit.Features;

/// <summary>An audit entry with its actor resolved at the moment of the request (the background writer has no request).</summary>
internal sealed record PendingAuditRecord(AuditEntry Entry, string? UserId, string? UserName, string? Role, string? ClientId, string? SourceAddress);

/// <summary>
/// The request-scoped face of the audit trail: resolves who is acting, then appends in the caller's transaction (writes)
/// or through the group-commit writer (reads), which returns only once the record is committed.
/// </summary>
internal sealed class AuditTrail(AuditAppender appender, AuditWriteQueue queue, ICurrentActor actor) : IAuditTrail
{
    public Task RecordAsync(AuditEntry entry, DbTransaction transaction, CancellationToken ct = default) =>
        appender.AppendAsync([Resolve(entry)], transaction, ct);

    public Task RecordAsync(AuditEntry entry, CancellationToken ct = default) => queue.AppendAsync([Resolve(entry)]);

    public Task RecordManyAsync(IReadOnlyList<AuditEntry> entries, DbTransaction? transaction, CancellationToken ct = default)
    {
        if (entries.Count == 0) return Task.CompletedTask;
        var pending = entries.Select(Resolve).ToList();
        return transaction is null ? queue.AppendAsync(pending) : appender.AppendAsync(pending, transaction, ct);
    }

    private PendingAuditRecord Resolve(AuditEntry e) => new(e,
        e.UserIdOverride ?? actor.UserId, e.UserNameOverride ?? actor.UserName, e.RoleOverride ?? actor.Role,
        e.ClientIdOverride ?? actor.ClientId, actor.SourceAddress);
}

/// <summary>
/// Group commit for audit records that are not part of a write transaction (reads, searches, sign-ins). Concurrent
/// callers' records are appended in one transaction and each caller's task completes only after that commit, so a read
/// still never returns data whose audit record is not durable — with one chain lock and one commit per batch instead of
/// one per request.
/// </summary>
internal sealed class AuditWriteQueue : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private readonly Channel<(IReadOnlyList<PendingAuditRecord> Records, TaskCompletionSource Done)> _channel =
        Channel.CreateUnbounded<(IReadOnlyList<PendingAuditRecord>, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DatabaseOptions _db;
    private readonly AuditAppender _appender;
    private readonly ILogger<AuditWriteQueue> _logger;
    private readonly Task _loop;

    public AuditWriteQueue(DatabaseOptions db, AuditAppender appender, ILogger<AuditWriteQueue> logger)
    {
        _db = db;
        _appender = appender;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public Task AppendAsync(IReadOnlyList<PendingAuditRecord> records)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite((records, done)))
            done.SetException(new InvalidOperationException("The audit writer has stopped; the request cannot be audited."));
        return done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<(IReadOnlyList<PendingAuditRecord> Records, TaskCompletionSource Done)>(MaxBatch);
        while (await _channel.Reader.WaitToReadAsync())
        {
            batch.Clear();
            var count = 0;
            while (count < MaxBatch && _channel.Reader.TryRead(out var item))
            {
                batch.Add(item);
                count += item.Records.Count;
            }
            try
            {
                await using var connection = DbConnections.Create(_db);
                await connection.OpenAsync();
                await using var tx = await connection.BeginTransactionAsync();
                await _appender.AppendAsync(batch.SelectMany(b => b.Records).ToList(), tx, CancellationToken.None);
                await tx.CommitAsync();
                foreach (var b in batch) b.Done.SetResult();
            }
            catch (Exception e)
            {
                // Every caller in the batch fails: their requests return an error rather than unaudited data.
                _logger.LogError(e, "Could not append {Count} audit record(s)", count);
                foreach (var b in batch) b.Done.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop;
    }
}

/// <summary>
/// Appends hash-chained records in a given transaction. Appends are serialized so that each record links to exactly one
/// predecessor: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by its single writer (write transactions
/// begin IMMEDIATE). The lock is held only to the end of the transaction, which is short.
/// </summary>
internal sealed class AuditAppender(DatabaseOptions db, TimeProvider time)
{
    private const long ChainLockKey = 0x4175646974436861; // "AuditCha"
    private static readonly string[] Columns =
        ["@seq", "@at", "@uid", "@uname", "@role", "@client", "@patient", "@action", "@rtype", "@rid", "@outcome", "@source", "@detail", "@prev", "@hash"];
    private readonly string _table = ModuleDatabase.QualifiedTable(db.Provider, Data.AuditDbContext.Schema, "record");

    public async Task AppendAsync(IReadOnlyList<PendingAuditRecord> records, DbTransaction tx, CancellationToken ct)
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
        var lastHash = AuditRecord.GenesisHash;
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
            "resource_id, outcome, source_address, detail, previous_hash, hash) VALUES (" + string.Join(", ", Columns) + ")";
        var p = new DbParameter[Columns.Length];
        for (var i = 0; i < Columns.Length; i++)
        {
            p[i] = insert.CreateParameter();
            p[i].ParameterName = Columns[i];
            insert.Parameters.Add(p[i]);
        }

        foreach (var pending in records)
        {
            var e = pending.Entry;
            var record = new AuditRecord
            {
                Sequence = ++lastSequence,
                OccurredAt = now,
                UserId = pending.UserId,
                UserName = Truncate(pending.UserName, 256),
                Role = pending.Role,
                ClientId = pending.ClientId,
                PatientId = e.PatientId,
                Action = e.Action.ToString(),
                ResourceType = e.ResourceType,
                ResourceId = Truncate(e.ResourceId, 128),
                Outcome = e.Outcome.ToString(),
                SourceAddress = Truncate(pending.SourceAddress, 64),
                Detail = Truncate(e.Detail, 2000),
                PreviousHash = lastHash,
            };
            record.Hash = record.ComputeHash();
            lastHash = record.Hash;

            object?[] values =
            [
                record.Sequence, db.Provider == DatabaseProvider.Sqlite ? AuditStorage.FormatSqliteTime(record.OccurredAt) : record.OccurredAt,
                record.UserId, record.UserName, record.Role, record.ClientId, record.PatientId, record.Action, record.ResourceType,
                record.ResourceId, record.Outcome, record.SourceAddress, record.Detail, record.PreviousHash, record.Hash,
            ];
            for (var i = 0; i < values.Length; i++) p[i].Value = values[i] ?? DBNull.Value;
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
