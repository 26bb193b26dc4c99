using System.Data.Common;
using Meridian.Audit.Domain;
using Meridian.SharedKernel.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meridian.Audit.Features;

/// <summary>
/// Links committed audit records into the hash chain, in the order it finds them committed, shortly after they commit.
/// Writers therefore never wait for one another on a chain lock (which would hold every audited transaction's commit,
/// fsync included, in a single line); only the sealer is serialized — by an advisory lock on PostgreSQL, so that several
/// hosts can share one database, and by SQLite's single writer on SQLite. See decision 0004.
/// </summary>
internal sealed class AuditSealer(DatabaseOptions db, TimeProvider time, ILogger<AuditSealer> logger) : BackgroundService
{
    private const long SealLockKey = 0x4175646974536561; // "AuditSea"
    private const int BatchSize = 5_000;
    // Records commit out of id order (ids are taken at insert, transactions commit later). Each pass looks back this far
    // behind the newest sealed record for late committers; a catch-up pass every minute looks back further, from where the
    // previous catch-up found everything sealed, and the first one after start (and every verify) scans everything.
    private const long LookBack = 1_000;
    private const long CatchUpLookBack = 10_000;
    private static readonly TimeSpan CatchUpEvery = TimeSpan.FromMinutes(1);
    private long _catchUpFloor; // 0 until the first catch-up: scan everything once per process
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _nudged = new(0, 1);
    private readonly string _records = ModuleDatabase.QualifiedTable(db.Provider, Data.AuditDbContext.Schema, "record");
    private readonly string _seals = ModuleDatabase.QualifiedTable(db.Provider, Data.AuditDbContext.Schema, "seal");

    /// <summary>Asks the background loop to seal soon (called after every append; cheap and non-blocking).</summary>
    public void Nudge()
    {
        if (_nudged.CurrentCount == 0)
        {
            try { _nudged.Release(); }
            catch (SemaphoreFullException) { /* already nudged */ }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastFull = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _nudged.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                // Let a burst of appends accumulate so one seal transaction covers them.
                await Task.Delay(TimeSpan.FromMilliseconds(250), stoppingToken);
                var catchUp = time.GetUtcNow() - lastFull > CatchUpEvery;
                await SealPendingAsync(catchUp, stoppingToken);
                if (catchUp) lastFull = time.GetUtcNow();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Unsealed records stay in the table and are sealed on the next pass; verify reports them until then.
                logger.LogError(e, "Sealing audit records failed; will retry");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Seals committed, unsealed records: recent ones, or with <paramref name="catchUp"/> every one since the last catch-up
    /// (everything, the first time). Returns how many were sealed.
    /// </summary>
    public async Task<int> SealPendingAsync(bool catchUp, CancellationToken ct = default) => await SealAsync(catchUp, everything: false, ct);

    /// <summary>Seals every committed record not yet sealed, scanning the whole trail (verify uses this).</summary>
    public async Task<int> SealEverythingAsync(CancellationToken ct = default) => await SealAsync(catchUp: true, everything: true, ct);

    private async Task<int> SealAsync(bool catchUp, bool everything, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            long? floor = everything ? 0 : catchUp ? Math.Max(0, _catchUpFloor - CatchUpLookBack) : null;
            var total = 0;
            long newest;
            while (true)
            {
                (var sealedNow, newest) = await SealBatchAsync(floor, ct);
                total += sealedNow;
                if (sealedNow < BatchSize) break;
            }
            if (catchUp) _catchUpFloor = newest;
            return total;
        }
        finally { _gate.Release(); }
    }

    /// <summary>Seals up to one batch. <paramref name="floor"/> null = the recent look-back. Returns the count and the newest sealed record id.</summary>
    private async Task<(int Count, long Newest)> SealBatchAsync(long? floor, CancellationToken ct)
    {
        await using var connection = DbConnections.Create(db);
        await connection.OpenAsync(ct);
        await using var turn = await SqliteWriteGate.TurnAsync(connection, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (db.Provider == DatabaseProvider.PostgreSql)
            await ExecAsync(connection, tx, $"SELECT pg_advisory_xact_lock({SealLockKey})", ct);

        long lastSequence = 0, lastRecordId = 0;
        var lastHash = AuditSeal.GenesisHash;
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT sequence, hash, (SELECT MAX(record_id) FROM {_seals}) FROM {_seals} ORDER BY sequence DESC LIMIT 1";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                lastSequence = reader.GetInt64(0);
                lastHash = reader.GetString(1);
                lastRecordId = reader.GetInt64(2);
            }
        }

        var pending = new List<(long Id, string ContentHash)>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT r.id, r.content_hash FROM {_records} r WHERE r.id > @floor " +
                              $"AND NOT EXISTS (SELECT 1 FROM {_seals} s WHERE s.record_id = r.id) ORDER BY r.id LIMIT {BatchSize}";
            MigrationRunner.AddParameter(cmd, "@floor", floor ?? Math.Max(0, lastRecordId - LookBack));
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) pending.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        if (pending.Count == 0) return (0, lastRecordId);

        var sealedAt = time.GetUtcNow().UtcDateTime;
        sealedAt = new DateTime(sealedAt.Ticks - sealedAt.Ticks % 10, DateTimeKind.Utc);
        const int rowsPerStatement = 100;
        for (var start = 0; start < pending.Count; start += rowsPerStatement)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            var sql = new System.Text.StringBuilder($"INSERT INTO {_seals} (sequence, record_id, content_hash, previous_hash, hash, sealed_at) VALUES ");
            var chunk = pending.Skip(start).Take(rowsPerStatement).ToList();
            for (var i = 0; i < chunk.Count; i++)
            {
                var sequence = ++lastSequence;
                var hash = AuditSeal.Compute(sequence, chunk[i].Id, chunk[i].ContentHash, lastHash);
                object[] values = [sequence, chunk[i].Id, chunk[i].ContentHash, lastHash, hash,
                    db.Provider == DatabaseProvider.Sqlite ? AuditStorage.FormatSqliteTime(sealedAt) : sealedAt];
                lastHash = hash;
                sql.Append(i == 0 ? "(" : ", (");
                for (var v = 0; v < values.Length; v++)
                {
                    var name = $"@s{i}_{v}";
                    MigrationRunner.AddParameter(insert, name, values[v]);
                    sql.Append(v == 0 ? name : ", " + name);
                }
                sql.Append(')');
            }
            insert.CommandText = sql.ToString();
            await insert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return (pending.Count, Math.Max(lastRecordId, pending[^1].Id));
    }

    private static async Task ExecAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
