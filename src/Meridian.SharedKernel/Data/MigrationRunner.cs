using System.Data.Common;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Meridian.SharedKernel.Data;

/// <summary>
/// A module's hand-written, forward-only migrations: embedded SQL files named <c>NNNN_name.sql</c> under
/// <c>migrations/Sqlite/</c> and <c>migrations/PostgreSql/</c> (see the module's .csproj LogicalName).
/// EF Core's design-time tooling is not available here, so the SQL is written (and reviewed) by hand and
/// a test proves that a migrated database matches the EF model on both providers.
/// </summary>
public sealed record ModuleMigrations(string Module, Assembly Assembly, int Order);

public sealed record MigrationScript(string Module, int Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

public sealed class MigrationRunner(DatabaseOptions options, IEnumerable<ModuleMigrations> modules, ILogger<MigrationRunner> logger)
{
    private const string HistoryTable = "meridian_migrations";
    // An arbitrary, fixed key: concurrent hosts starting against one PostgreSQL database migrate one at a time.
    private const long MigrationLockKey = 0x4D6572696469616E;

    public IReadOnlyList<MigrationScript> Scripts() =>
        modules.OrderBy(m => m.Order).SelectMany(m => Load(m, options.Provider)).ToList();

    public static IEnumerable<MigrationScript> Load(ModuleMigrations module, DatabaseProvider provider)
    {
        var folder = $"migrations/{provider}/";
        var scripts = new List<MigrationScript>();
        foreach (var resource in module.Assembly.GetManifestResourceNames().Where(n => n.StartsWith(folder, StringComparison.Ordinal)))
        {
            var file = resource[folder.Length..];
            var underscore = file.IndexOf('_');
            if (underscore <= 0 || !int.TryParse(file[..underscore], out var version))
                throw new InvalidOperationException($"Migration '{resource}' in {module.Module} must be named NNNN_name.sql.");
            using var stream = module.Assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add(new MigrationScript(module.Module, version, Path.GetFileNameWithoutExtension(file[(underscore + 1)..]), reader.ReadToEnd()));
        }
        var ordered = scripts.OrderBy(s => s.Version).ToList();
        for (var i = 0; i < ordered.Count; i++)
            if (ordered[i].Version != i + 1)
                throw new InvalidOperationException($"Migrations of {module.Module} must be numbered 1..n without gaps; found {ordered[i].Version} at position {i + 1}.");
        return ordered;
    }

    public DbConnection OpenConnection()
    {
        var connection = DbConnections.Create(options);
        connection.Open();
        return connection;
    }

    /// <summary>Migrations not yet applied, in order.</summary>
    public async Task<IReadOnlyList<MigrationScript>> PendingAsync(CancellationToken ct = default)
    {
        await using var connection = OpenConnection();
        await EnsureHistoryTableAsync(connection, ct);
        var applied = await AppliedAsync(connection, null, ct);
        return Scripts().Where(s => !applied.ContainsKey((s.Module, s.Version))).ToList();
    }

    /// <summary>Applies every pending migration, each in its own transaction together with its history row.</summary>
    public async Task<int> MigrateAsync(CancellationToken ct = default)
    {
        if (options.Provider == DatabaseProvider.Sqlite) EnsureSqliteDirectory(options.ConnectionString);
        await using var connection = OpenConnection();
        await EnsureHistoryTableAsync(connection, ct);
        if (options.Provider == DatabaseProvider.PostgreSql)
            await ExecAsync(connection, null, $"SELECT pg_advisory_lock({MigrationLockKey})", ct);
        try
        {
            var applied = await AppliedAsync(connection, null, ct);
            var count = 0;
            foreach (var script in Scripts())
            {
                if (applied.TryGetValue((script.Module, script.Version), out var checksum))
                {
                    if (!string.Equals(checksum, script.Checksum, StringComparison.OrdinalIgnoreCase))
                        throw new InvalidOperationException(
                            $"Migration {script.Module} {script.Version:0000}_{script.Name} was changed after it was applied. " +
                            "Migrations are forward-only: add a new one instead of editing an applied one.");
                    continue;
                }
                await using var tx = await connection.BeginTransactionAsync(ct);
                await ExecAsync(connection, tx, script.Sql, ct);
                await using (var cmd = connection.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = $"INSERT INTO {HistoryTable} (module, version, name, checksum, applied_at) VALUES (@m, @v, @n, @c, @t)";
                    AddParameter(cmd, "@m", script.Module);
                    AddParameter(cmd, "@v", script.Version);
                    AddParameter(cmd, "@n", script.Name);
                    AddParameter(cmd, "@c", script.Checksum);
                    AddParameter(cmd, "@t", DateTime.UtcNow.ToString("O"));
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Module} {Version:0000}_{Name}", script.Module, script.Version, script.Name);
                count++;
            }
            return count;
        }
        finally
        {
            if (options.Provider == DatabaseProvider.PostgreSql)
                await ExecAsync(connection, null, $"SELECT pg_advisory_unlock({MigrationLockKey})", ct);
        }
    }

    private static void EnsureSqliteDirectory(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:") return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    }

    private static async Task EnsureHistoryTableAsync(DbConnection connection, CancellationToken ct) =>
        await ExecAsync(connection, null,
            $"CREATE TABLE IF NOT EXISTS {HistoryTable} (module VARCHAR(64) NOT NULL, version INTEGER NOT NULL, name VARCHAR(200) NOT NULL, " +
            "checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(40) NOT NULL, PRIMARY KEY (module, version))", ct);

    private static async Task<Dictionary<(string, int), string>> AppliedAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        var result = new Dictionary<(string, int), string>();
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT module, version, checksum FROM {HistoryTable}";
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            result[(reader.GetString(0), reader.GetInt32(1))] = reader.GetString(2);
        return result;
    }

    private static async Task ExecAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 600;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public static void AddParameter(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }
}
