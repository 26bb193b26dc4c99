using System.Data.Common;

namespace Meridian.SharedKernel.Data;

/// <summary>
/// Several parameterized statements sent together: one <see cref="DbBatch"/> round trip where the provider supports it
/// (Npgsql), otherwise one command per statement (Microsoft.Data.Sqlite, in-process, has no round trip to save).
/// Each statement carries only its own parameters. One command holding many statements is slower on SQLite: it binds
/// every parameter of the command to every statement, looking each name up by string comparison, which grows with
/// statements × parameters (a seeding batch of 2,000 patients spent most of its time there).
/// </summary>
public sealed class SqlBatch
{
    private readonly List<Statement> _statements = [];

    public sealed class Statement(string sql)
    {
        public string Sql { get; set; } = sql;
        public List<(string Name, object? Value)> Parameters { get; } = [];

        public Statement Parameter(string name, object? value)
        {
            Parameters.Add((name, value));
            return this;
        }
    }

    public int Count => _statements.Count;

    public Statement Add(string sql)
    {
        var statement = new Statement(sql);
        _statements.Add(statement);
        return statement;
    }

    public async Task ExecuteAsync(DbTransaction tx, CancellationToken ct)
    {
        var connection = tx.Connection ?? throw new InvalidOperationException("The transaction has no connection.");
        if (_statements.Count == 0) return;
        if (connection.CanCreateBatch)
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = tx;
            foreach (var s in _statements)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = s.Sql;
                foreach (var (name, value) in s.Parameters)
                {
                    var p = command.CreateParameter();
                    p.ParameterName = name;
                    p.Value = value ?? DBNull.Value;
                    command.Parameters.Add(p);
                }
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(ct);
            return;
        }
        foreach (var s in _statements)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = s.Sql;
            foreach (var (name, value) in s.Parameters) MigrationRunner.AddParameter(command, name, value);
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
