using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.SharedKernel.Data;

/// <summary>
/// Begins a feature's write transaction on its DbContext. On PostgreSQL this is an ordinary transaction. On SQLite,
/// which has one writer at a time, the transaction joins a <b>group commit</b>: every write that arrives while another
/// is running queues for the database's single writer connection, runs inside one shared transaction under its own
/// savepoint, and is committed together with the others when the queue is empty (or the group is full). Each caller's
/// <see cref="WriteTransaction.CommitAsync"/> returns only once that shared COMMIT has succeeded, so a caller never
/// reports a write that is not durable and visible; a caller that fails or does not commit rolls back to its savepoint
/// and leaves the others untouched. Why (decision 0012): a SQLite commit writes every page the transaction changed to
/// the WAL, and the hot pages (the right edge of each index, the audit table) are the same for consecutive writes, so
/// one commit for several writes writes them once; the single long-lived writer connection keeps its page cache, which
/// a pooled connection loses whenever another connection commits; and the write turn passes from one caller to the
/// next without a commit in between. Registrations measured 1.7× the throughput this way (bench/README.md).
/// </summary>
public sealed class WriteTransactions(DatabaseOptions options) : IDisposable
{
    private readonly Lock _init = new();
    private SqliteGroupCommit? _group;

    /// <summary>
    /// Begins the write on <paramref name="db"/> (its connection must be closed). Never begin one while holding another
    /// write transaction on SQLite: the group waits for the database's write turn, which the outer one holds.
    /// </summary>
    public async Task<WriteTransaction> BeginAsync(DbContext db, CancellationToken ct = default)
    {
        if (options.Provider != DatabaseProvider.Sqlite)
            return new WriteTransaction(await db.Database.BeginTransactionAsync(ct));
        if (db.Database.GetDbConnection().State != ConnectionState.Closed)
            throw new InvalidOperationException("A write transaction needs the context's connection closed: it runs on the database's writer connection.");
        var group = Group();
        await group.JoinAsync(ct);
        // One name serves every member: a member's savepoint is released or rolled back before the next member starts.
        const string savepoint = "meridian_write";
        try
        {
            group.Execute($"SAVEPOINT {savepoint}");
        }
        catch
        {
            _ = group.Leave(committed: false);
            throw;
        }
        var tx = new WriteTransaction(db, group, savepoint, db.Database.AutoSavepointsEnabled, options.ConnectionString);
        try
        {
            // The context's own (closed) connection is disposed by EF when replaced; a fresh one is set back afterwards.
            db.Database.SetDbConnection(group.Connection, contextOwnsConnection: false);
            await db.Database.UseTransactionAsync(group.Transaction, ct);
            // The member's savepoint already makes its writes all-or-nothing: EF's own savepoint per SaveChanges would be
            // two more statements each time.
            db.Database.AutoSavepointsEnabled = false;
            return tx;
        }
        catch
        {
            await tx.DisposeAsync();
            throw;
        }
    }

    private SqliteGroupCommit Group()
    {
        if (_group is { } existing) return existing;
        lock (_init) return _group ??= new SqliteGroupCommit(options.ConnectionString);
    }

    /// <summary>Group commits so far and the writes they carried (for the benchmark).</summary>
    public (long Commits, long Members) GroupStats() => _group is { } g ? g.Stats() : (0, 0);

    public void Dispose() => _group?.Dispose();
}

/// <summary>A write transaction begun by <see cref="WriteTransactions"/>; dispose without committing to roll back.</summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly IDbContextTransaction? _efTransaction;
    private readonly DbContext? _db;
    private readonly SqliteGroupCommit? _group;
    private readonly string? _savepoint;
    private readonly bool _autoSavepoints;
    private readonly string? _connectionString;
    private bool _done;

    internal WriteTransaction(IDbContextTransaction transaction)
    {
        _efTransaction = transaction;
        Transaction = transaction.GetDbTransaction();
    }

    internal WriteTransaction(DbContext db, SqliteGroupCommit group, string savepoint, bool autoSavepoints, string connectionString)
    {
        _db = db;
        _group = group;
        _savepoint = savepoint;
        _autoSavepoints = autoSavepoints;
        _connectionString = connectionString;
        Transaction = group.Transaction;
    }

    /// <summary>The ADO.NET transaction, for raw SQL and for other modules' writes that must commit with this one.</summary>
    public DbTransaction Transaction { get; }

    public async Task CommitAsync(CancellationToken ct = default)
    {
        if (_done) throw new InvalidOperationException("The transaction has already ended.");
        if (_efTransaction is not null)
        {
            _done = true;
            await _efTransaction.CommitAsync(ct);
            return;
        }
        Task committed;
        try
        {
            _group!.Execute($"RELEASE SAVEPOINT {_savepoint}");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
        _done = true;
        try
        {
            Restore();
        }
        finally
        {
            // Whatever happens to this context, the turn passes on: a stuck turn would stop every write.
            committed = _group.Leave(committed: true);
        }
        // Not cancellable: the write is in the group's transaction and commits with it whatever this caller does next.
        await committed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_efTransaction is not null)
        {
            _done = true;
            await _efTransaction.DisposeAsync();
            return;
        }
        if (_done) return;
        _done = true;
        Exception? broken = null;
        try
        {
            _group!.Execute($"ROLLBACK TO SAVEPOINT {_savepoint}");
            _group.Execute($"RELEASE SAVEPOINT {_savepoint}");
        }
        catch (Exception e)
        {
            broken = e;
        }
        try
        {
            Restore();
        }
        finally
        {
            // The shared transaction in an unknown state (e.g. SQLite rolled all of it back after a full disk): nobody in
            // the group may be told it committed. Otherwise the turn passes on as usual.
            if (broken is not null) _group!.Abort(broken);
            else _ = _group!.Leave(committed: false);
        }
    }

    private void Restore()
    {
        var database = _db!.Database;
        // Disposing EF's wrapper of a transaction it does not own leaves the transaction alone and releases the connection.
        database.CurrentTransaction?.Dispose();
        database.UseTransaction(null);
        database.AutoSavepointsEnabled = _autoSavepoints;
        // Later queries of the same request run on a pooled connection again, never on the shared writer.
        database.SetDbConnection(new SqliteConnection(_connectionString), contextOwnsConnection: true);
    }
}

/// <summary>The single writer connection of a SQLite database and the group of writes sharing its open transaction.</summary>
internal sealed class SqliteGroupCommit : IDisposable
{
    /// <summary>Writes per commit at most: bounds how long the first member of a group waits for its commit.</summary>
    private const int MaxMembers = 32;

    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private readonly SqliteConnection _writer;
    private List<TaskCompletionSource> _pending = [];
    private bool _busy;
    private int _members;
    private SqliteTransaction? _transaction;
    private long _commits, _committedMembers;

    public SqliteGroupCommit(string connectionString)
    {
        // Not pooled: the connection lives as long as the host and is closed for real when the host stops.
        _writer = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
    }

    public SqliteConnection Connection => _writer;
    public SqliteTransaction Transaction => _transaction ?? throw new InvalidOperationException("No group transaction is open.");

    public (long Commits, long Members) Stats() => (Interlocked.Read(ref _commits), Interlocked.Read(ref _committedMembers));

    public void Execute(string sql)
    {
        using var cmd = _writer.CreateCommand();
        cmd.Transaction = _transaction;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Waits for the writer, then makes sure the group's transaction is open. The caller then holds the writer until <see cref="Leave"/>.</summary>
    public async Task JoinAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        TaskCompletionSource? turn = null;
        lock (_lock)
        {
            if (!_busy) _busy = true;
            else _waiting.Enqueue(turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        // Once queued a caller is not taken out again: the turn comes within one group's time.
        if (turn is not null) await turn.Task;
        if (_transaction is not null) { _members++; return; }
        try
        {
            if (_writer.State != ConnectionState.Open)
            {
                await _writer.OpenAsync(CancellationToken.None);
                SqlitePragmas.Apply(_writer);
                // The writer is long-lived and only it writes here, so its cache stays valid: give it room for the hot pages.
                using var cmd = _writer.CreateCommand();
                cmd.CommandText = "PRAGMA cache_size=-65536";
                cmd.ExecuteNonQuery();
            }
            // The process-wide write gate keeps this process's other writers (raw ADO.NET, EF transactions) out while the group is open.
            await SqliteWriteGate.EnterAsync(_writer, CancellationToken.None);
            try
            {
                _transaction = _writer.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: take the write lock now, not at the first write
            }
            catch
            {
                SqliteWriteGate.Exit(_writer);
                throw;
            }
            _members = 1;
        }
        catch
        {
            PassOn();
            throw;
        }
    }

    /// <summary>
    /// The holder is done with the writer. With others waiting (and room in the group) the turn passes on with the
    /// transaction open; otherwise the group commits. The task completes when the holder's write is committed.
    /// </summary>
    public Task Leave(bool committed)
    {
        TaskCompletionSource? mine = null;
        if (committed) _pending.Add(mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        TaskCompletionSource? next = null;
        lock (_lock)
        {
            if (_waiting.Count > 0 && _members < MaxMembers) next = _waiting.Dequeue();
        }
        if (next is not null) next.SetResult();
        else Commit();
        return mine?.Task ?? Task.CompletedTask;
    }

    /// <summary>The shared transaction failed (a savepoint could not be rolled back): roll everything back and fail the whole group.</summary>
    public void Abort(Exception cause)
    {
        var pending = TakePending();
        try { _transaction?.Rollback(); } catch (SqliteException) { /* the connection already rolled back */ }
        EndTransaction();
        var failure = new InvalidOperationException("The group's write transaction was rolled back; nothing in it was saved.", cause);
        foreach (var p in pending) p.SetException(failure);
        PassOn();
    }

    private void Commit()
    {
        var pending = TakePending();
        Exception? failure = null;
        try
        {
            _transaction?.Commit();
        }
        catch (Exception e)
        {
            failure = e;
            try { _transaction?.Rollback(); } catch (SqliteException) { /* nothing left to roll back */ }
        }
        EndTransaction();
        if (failure is null)
        {
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _committedMembers, pending.Count);
            foreach (var p in pending) p.SetResult();
        }
        else
        {
            var error = new InvalidOperationException("The database refused to commit the write.", failure);
            foreach (var p in pending) p.SetException(error);
        }
        PassOn();
    }

    private List<TaskCompletionSource> TakePending()
    {
        var pending = _pending;
        _pending = [];
        return pending;
    }

    private void EndTransaction()
    {
        try
        {
            _transaction?.Dispose();
        }
        catch (SqliteException)
        {
            // Disposing rolls back a transaction not ended; one SQLite already rolled back itself cannot be, which is fine.
        }
        _transaction = null;
        _members = 0;
        SqliteWriteGate.Exit(_writer);
    }

    /// <summary>The writer is free: the next waiter (if any) gets it and opens a new transaction.</summary>
    private void PassOn()
    {
        TaskCompletionSource? next;
        lock (_lock)
        {
            if (!_waiting.TryDequeue(out next)) _busy = false;
        }
        next?.SetResult();
    }

    public void Dispose() => _writer.Dispose();
}
