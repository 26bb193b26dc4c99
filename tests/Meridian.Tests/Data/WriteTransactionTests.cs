using System.Data.Common;
using Meridian.Patients.Data;
using Meridian.SharedKernel.Data;
using Meridian.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Data;

/// <summary>
/// The write transactions features begin through <see cref="WriteTransactions"/>: on SQLite a group commit on one writer
/// connection (decision 0012), on PostgreSQL an ordinary transaction. Both must keep the same promises.
/// </summary>
public abstract class WriteTransactionTests<TApp>(TApp app) : IClassFixture<TApp>, IAsyncLifetime where TApp : MeridianApp
{
    private readonly string _table = "write_test_" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        await ExecuteAsync($"CREATE TABLE {_table} (n INTEGER PRIMARY KEY)");
        await ExecuteAsync($"CREATE TABLE {_table}_parent (id INTEGER PRIMARY KEY)");
        // A deferred foreign key is checked by COMMIT itself: the way to make a database refuse a commit on both providers.
        await ExecuteAsync($"CREATE TABLE {_table}_child (parent_id INTEGER NOT NULL REFERENCES {_table}_parent (id) DEFERRABLE INITIALLY DEFERRED)");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Concurrent_writes_each_commit_visibly_and_one_that_rolls_back_leaves_the_others_intact()
    {
        var writes = app.Services.GetRequiredService<WriteTransactions>();
        var before = writes.GroupStats();
        var results = await Task.WhenAll(Enumerable.Range(1, 30).Select(n => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PatientsDbContext>();
            await using (var tx = await writes.BeginAsync(db))
            {
                await InsertAsync(tx.Transaction, n);
                if (n % 3 == 0) return (n, Committed: false, Visible: false); // disposed without commit: rolled back
                await tx.CommitAsync();
            }
            // Committed means committed: another connection sees the row as soon as CommitAsync returns.
            return (n, Committed: true, Visible: await CountAsync($"SELECT COUNT(*) FROM {_table} WHERE n = {n}") == 1);
        })));

        Assert.All(results.Where(r => r.Committed), r => Assert.True(r.Visible, $"row {r.n} was not visible after its commit"));
        var expected = results.Where(r => r.Committed).Select(r => r.n).Order().ToList();
        Assert.Equal(20, expected.Count);
        Assert.Equal(expected, await NumbersAsync());
        if (app.Provider == DatabaseProvider.Sqlite)
            Assert.Equal(20, writes.GroupStats().Members - before.Members);
    }

    [Fact]
    public async Task After_its_write_the_context_reads_on_its_own_connection_again()
    {
        var writes = app.Services.GetRequiredService<WriteTransactions>();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PatientsDbContext>();
        DbConnection writer;
        await using (var tx = await writes.BeginAsync(db))
        {
            writer = tx.Transaction.Connection!;
            await InsertAsync(tx.Transaction, 1_000);
            await tx.CommitAsync();
        }
        // SQLite: the context leaves the shared writer connection; PostgreSQL's transaction ran on the context's own.
        if (app.Provider == DatabaseProvider.Sqlite) Assert.NotSame(writer, db.Database.GetDbConnection());
        Assert.Null(db.Database.CurrentTransaction);
        Assert.True(await db.Patients.CountAsync() >= 0);
        // And the same context can write again.
        await using (var tx = await writes.BeginAsync(db))
        {
            await InsertAsync(tx.Transaction, 1_001);
            await tx.CommitAsync();
        }
        Assert.Contains(1_001, await NumbersAsync());
    }

    [Fact]
    public async Task A_commit_the_database_refuses_fails_the_write_saves_nothing_and_the_next_write_succeeds()
    {
        var writes = app.Services.GetRequiredService<WriteTransactions>();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PatientsDbContext>();
        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var tx = await writes.BeginAsync(db);
            await InsertAsync(tx.Transaction, 2_000);
            await using (var cmd = Command(tx.Transaction, $"INSERT INTO {_table}_child (parent_id) VALUES (42)")) await cmd.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        });
        Assert.True(refused is DbException || refused.InnerException is DbException, $"expected the database's refusal, got {refused}");
        Assert.DoesNotContain(2_000, await NumbersAsync());
        Assert.Equal(0, await CountAsync($"SELECT COUNT(*) FROM {_table}_child"));

        await using (var tx = await writes.BeginAsync(db))
        {
            await InsertAsync(tx.Transaction, 2_001);
            await tx.CommitAsync();
        }
        Assert.Contains(2_001, await NumbersAsync());
    }

    protected WriteTransactions Writes => app.Services.GetRequiredService<WriteTransactions>();
    protected string Table => _table;
    protected Task<List<int>> Numbers() => NumbersAsync();
    protected Task Insert(DbTransaction tx, int n) => InsertAsync(tx, n);
    protected TApp App => app;

    protected static DbCommand Command(DbTransaction tx, string sql)
    {
        var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    private async Task InsertAsync(DbTransaction tx, int n)
    {
        await using var cmd = Command(tx, $"INSERT INTO {_table} (n) VALUES ({n})");
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = DbConnections.Create(app.Services.GetRequiredService<DatabaseOptions>());
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = DbConnections.Create(app.Services.GetRequiredService<DatabaseOptions>());
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<List<int>> NumbersAsync()
    {
        await using var connection = DbConnections.Create(app.Services.GetRequiredService<DatabaseOptions>());
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT n FROM {_table} ORDER BY n";
        var list = new List<int>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        return list;
    }
}

public sealed class WriteTransactionTests_Sqlite(SqliteApp app) : WriteTransactionTests<SqliteApp>(app)
{
    [Fact]
    public async Task A_write_that_ends_the_shared_transaction_behind_the_groups_back_saves_nothing_and_the_next_write_succeeds()
    {
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PatientsDbContext>();
            var tx = await Writes.BeginAsync(db);
            await Insert(tx.Transaction, 3_000);
            // What SQLite itself does after some I/O errors: the whole transaction is gone, savepoints included.
            await using (var cmd = Command(tx.Transaction, "ROLLBACK")) await cmd.ExecuteNonQueryAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => tx.CommitAsync());
            await tx.DisposeAsync();
        }
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PatientsDbContext>();
            await using var tx = await Writes.BeginAsync(db);
            await Insert(tx.Transaction, 3_001);
            await tx.CommitAsync();
        }
        var numbers = await Numbers();
        Assert.DoesNotContain(3_000, numbers);
        Assert.Contains(3_001, numbers);
    }
}
public sealed class WriteTransactionTests_PostgreSql(PostgreSqlApp app) : WriteTransactionTests<PostgreSqlApp>(app);
