using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Meridian.SharedKernel.Data;

/// <summary>
/// SQLite allows one writer at a time. Left to itself, a second writer polls: SQLite's busy handler sleeps 1, 2, 5, 10…
/// up to 100 ms between attempts, so under concurrent writes the lock sits idle while waiters sleep. This gate queues
/// this process's write transactions first-come first-served and hands the lock over without sleeping. It is taken
/// when a write transaction begins (SQLite's BEGIN IMMEDIATE takes the database lock at the same point) and released
/// when it commits, rolls back, fails, or its connection closes. Another process writing to the same file still works:
/// SQLite's own lock and busy timeout remain underneath.
/// </summary>
public static class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<DbConnection, Holder> Held = new();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private sealed class Holder
    {
        public SemaphoreSlim? Gate;
        public long Since;
    }

    private static long _turns, _heldTicks;

    /// <summary>Write turns taken and how long they were held in all, for the benchmark: the turn is SQLite's serial section.</summary>
    public static (long Turns, TimeSpan Held) Stats() =>
        (Interlocked.Read(ref _turns), System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _heldTicks)));

    private static SemaphoreSlim GateFor(DbConnection connection) =>
        Gates.GetOrAdd(new SqliteConnectionStringBuilder(connection.ConnectionString).DataSource, _ => new SemaphoreSlim(1, 1));

    /// <summary>Waits for this database's write turn on behalf of <paramref name="connection"/> (no-op for other providers).</summary>
    public static async Task EnterAsync(DbConnection connection, CancellationToken ct)
    {
        if (connection is not SqliteConnection) return;
        var holder = Held.GetOrCreateValue(connection);
        if (holder.Gate is not null) return; // already holds the turn (nested or savepoint use)
        var gate = GateFor(connection);
        if (!await gate.WaitAsync(Timeout, ct))
            throw new TimeoutException("Timed out waiting for the database's write lock (another write has run for over 30 s).");
        holder.Gate = gate;
        holder.Since = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    public static void Enter(DbConnection connection)
    {
        if (connection is not SqliteConnection) return;
        var holder = Held.GetOrCreateValue(connection);
        if (holder.Gate is not null) return;
        var gate = GateFor(connection);
        if (!gate.Wait(Timeout))
            throw new TimeoutException("Timed out waiting for the database's write lock (another write has run for over 30 s).");
        holder.Gate = gate;
        holder.Since = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Takes the write turn for a raw ADO.NET write transaction: <c>await using var turn = await SqliteWriteGate.TurnAsync(c, ct);</c>
    /// declared before the transaction, so the turn passes on after the transaction ends.
    /// </summary>
    public static async Task<IAsyncDisposable> TurnAsync(DbConnection connection, CancellationToken ct = default)
    {
        await EnterAsync(connection, ct);
        return new Turn(connection);
    }

    private sealed class Turn(DbConnection connection) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            Exit(connection);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Gives the write turn back, if <paramref name="connection"/> holds it. Safe to call more than once.</summary>
    public static void Exit(DbConnection? connection)
    {
        if (connection is null || !Held.TryGetValue(connection, out var holder)) return;
        var gate = Interlocked.Exchange(ref holder.Gate, null);
        if (gate is null) return;
        Interlocked.Add(ref _heldTicks, System.Diagnostics.Stopwatch.GetTimestamp() - holder.Since);
        Interlocked.Increment(ref _turns);
        gate.Release();
    }
}

/// <summary>Applies <see cref="SqliteWriteGate"/> to every transaction EF Core begins (explicit or SaveChanges' own).</summary>
internal sealed class SqliteWriteGateInterceptor : IDbTransactionInterceptor, IDbConnectionInterceptor
{
    public static readonly SqliteWriteGateInterceptor Instance = new();

    // After commit a SqliteTransaction forgets its connection; the context still knows it.
    private static DbConnection? ConnectionOf(TransactionEventData e) =>
        e.Context is { } context ? Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetDbConnection(context.Database) : null;

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        SqliteWriteGate.Enter(connection);
        return result;
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        await SqliteWriteGate.EnterAsync(connection, cancellationToken);
        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => SqliteWriteGate.Exit(ConnectionOf(eventData));
    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        SqliteWriteGate.Exit(ConnectionOf(eventData));
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => SqliteWriteGate.Exit(ConnectionOf(eventData));
    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        SqliteWriteGate.Exit(ConnectionOf(eventData));
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => SqliteWriteGate.Exit(ConnectionOf(eventData));
    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        SqliteWriteGate.Exit(ConnectionOf(eventData));
        return Task.CompletedTask;
    }

    // A transaction disposed without commit or rollback rolls back when its connection closes: pass the turn on then.
    public void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => SqliteWriteGate.Exit(connection);
    public Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        SqliteWriteGate.Exit(connection);
        return Task.CompletedTask;
    }
}
