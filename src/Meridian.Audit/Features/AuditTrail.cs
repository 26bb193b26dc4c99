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
/// callers' records are inserted together and each caller's task completes only after that commit, so a read never
/// returns data whose audit record is not committed — with one commit per batch instead of one per request.
/// On PostgreSQL these batches commit with <c>synchronous_commit = off</c>: the record is committed and visible at once,
/// and reaches disk within the WAL writer's delay (200 ms by default) instead of each read waiting for its own flush;
/// audit records of writes share their work's fully synchronous commit. See decision 0004.
/// </summary>
internal sealed class AuditWriteQueue : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly Channel<(IReadOnlyList<PendingAuditRecord> Records, TaskCompletionSource Done)> _channel =
        Channel.CreateUnbounded<(IReadOnlyList<PendingAuditRecord>, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DatabaseOptions _db;
    private readonly AuditAppender _appender;
    private readonly ILogger<AuditWriteQueue> _logger;
    private readonly Task _loop;
    private DbConnection? _connection;

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
        var batch = new List<(IReadOnlyList<PendingAuditRecord> Records, TaskCompletionSource Done)>();
        var records = new List<PendingAuditRecord>();
        while (await _channel.Reader.WaitToReadAsync())
        {
            batch.Clear();
            records.Clear();
            while (records.Count < MaxBatch && _channel.Reader.TryRead(out var item))
            {
                batch.Add(item);
                records.AddRange(item.Records);
            }
            try
            {
                // One connection for the writer's lifetime: no pool round trip per batch; replaced after a failure.
                if (_connection is null)
                {
                    _connection = DbConnections.CreateUnpooled(_db);
                    await _connection.OpenAsync();
                    if (_db.Provider == DatabaseProvider.PostgreSql)
                    {
                        // For this connection's session only: it is unpooled and this queue's alone for its lifetime.
                        await using var cmd = _connection.CreateCommand();
                        cmd.CommandText = "SET synchronous_commit TO OFF";
                        await cmd.ExecuteNonQueryAsync();
                    }
                }
                var connection = _connection;
                if (_db.Provider == DatabaseProvider.PostgreSql && records.Count <= AuditAppender.RowsPerStatement)
                {
                    // One statement is atomic by itself: one round trip per batch instead of three (BEGIN, INSERT, COMMIT).
                    // Under load a batch holds only a few reads' records, so the round trips were most of PostgreSQL's
                    // share of a FHIR read.
                    await _appender.AppendAsync(records, connection, null, CancellationToken.None);
                }
                else
                {
                    await using var turn = await SqliteWriteGate.TurnAsync(connection);
                    await using var tx = await connection.BeginTransactionAsync();
                    await _appender.AppendAsync(records, tx, CancellationToken.None);
                    await tx.CommitAsync();
                }
                foreach (var b in batch) b.Done.SetResult();
            }
            catch (Exception e)
            {
                // Every caller in the batch fails: their requests return an error rather than unaudited data.
                _logger.LogError(e, "Could not append {Count} audit record(s)", records.Count);
                foreach (var b in batch) b.Done.TrySetException(e);
                if (_connection is not null) await _connection.DisposeAsync();
                _connection = null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop;
        if (_connection is not null) await _connection.DisposeAsync();
    }
}

/// <summary>
/// Inserts audit records in a given transaction: one multi-row INSERT per chunk, no locks, so concurrent writers never
/// wait for each other here (the chain is built by <see cref="AuditSealer"/> after commit).
/// </summary>
internal sealed class AuditAppender(DatabaseOptions db, TimeProvider time, AuditSealer sealer)
{
    public const int RowsPerStatement = 50; // 13 parameters a row: well under SQLite's and PostgreSQL's parameter limits
    private readonly string _table = ModuleDatabase.QualifiedTable(db.Provider, Data.AuditDbContext.Schema, "record");

    public Task AppendAsync(IReadOnlyList<PendingAuditRecord> records, DbTransaction tx, CancellationToken ct) =>
        AppendAsync(records, tx.Connection ?? throw new InvalidOperationException("The transaction has no connection."), tx, ct);

    /// <summary>With <paramref name="tx"/> null each statement commits on its own: only for at most <see cref="RowsPerStatement"/> records.</summary>
    public async Task AppendAsync(IReadOnlyList<PendingAuditRecord> records, DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        if (tx is null && records.Count > RowsPerStatement)
            throw new InvalidOperationException("More records than one statement holds need a transaction, so that they commit together.");
        // Microsecond precision: what both providers store exactly, so the hash recomputes after a round trip.
        var now = time.GetUtcNow().UtcDateTime;
        now = new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);

        for (var start = 0; start < records.Count; start += RowsPerStatement)
        {
            var chunk = records.Skip(start).Take(RowsPerStatement).ToList();
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            var sql = new System.Text.StringBuilder($"INSERT INTO {_table} (occurred_at, user_id, user_name, role, client_id, patient_id, action, " +
                "resource_type, resource_id, outcome, source_address, detail, content_hash) VALUES ");
            for (var i = 0; i < chunk.Count; i++)
            {
                var pending = chunk[i];
                var e = pending.Entry;
                var record = new AuditRecord
                {
                    OccurredAt = now,
                    UserId = Truncate(pending.UserId, 64),
                    UserName = Truncate(pending.UserName, 256),
                    Role = Truncate(pending.Role, 64),
                    ClientId = Truncate(pending.ClientId, 128),
                    PatientId = Truncate(e.PatientId, 64),
                    Action = e.Action.ToString(),
                    ResourceType = Truncate(e.ResourceType, 64)!,
                    ResourceId = Truncate(e.ResourceId, 128),
                    Outcome = e.Outcome.ToString(),
                    SourceAddress = Truncate(pending.SourceAddress, 64),
                    Detail = Truncate(e.Detail, 2000),
                };
                record.ContentHash = record.ComputeContentHash();
                object?[] values =
                [
                    db.Provider == DatabaseProvider.Sqlite ? AuditStorage.FormatSqliteTime(record.OccurredAt) : record.OccurredAt,
                    record.UserId, record.UserName, record.Role, record.ClientId, record.PatientId, record.Action, record.ResourceType,
                    record.ResourceId, record.Outcome, record.SourceAddress, record.Detail, record.ContentHash,
                ];
                sql.Append(i == 0 ? "(" : ", (");
                for (var v = 0; v < values.Length; v++)
                {
                    var name = $"@p{i}_{v}";
                    var p = insert.CreateParameter();
                    p.ParameterName = name;
                    p.Value = values[v] ?? DBNull.Value;
                    insert.Parameters.Add(p);
                    sql.Append(v == 0 ? name : ", " + name);
                }
                sql.Append(')');
            }
            insert.CommandText = sql.ToString();
            await insert.ExecuteNonQueryAsync(ct);
        }
        sealer.Nudge();
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}

internal static class AuditStorage
{
    /// <summary>The text form EF Core's SQLite provider uses for DateTime, so EF reads what raw SQL wrote.</summary>
    public static string FormatSqliteTime(DateTime utc) =>
        utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);
}
