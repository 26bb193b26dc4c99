using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Meridian.SharedKernel.Data;

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>Bound from configuration section <c>Meridian:Database</c> and <c>ConnectionStrings:Meridian</c>.</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    public string ConnectionString { get; set; } = "";

    public static DatabaseProvider ParseProvider(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgresql" or "postgres" or "npgsql" => DatabaseProvider.PostgreSql,
        _ => throw new InvalidOperationException(
            $"Meridian:Database:Provider '{text}' is not supported; use 'Sqlite' or 'PostgreSQL'."),
    };
}

public static class ModuleDatabase
{
    /// <summary>
    /// Points a module's DbContext at the practice database. On PostgreSQL each module owns a schema;
    /// SQLite has no schemas, so the module name becomes a table-name prefix instead (see <see cref="ApplyModuleSchema"/>).
    /// </summary>
    public static DbContextOptionsBuilder UseMeridianDatabase(this DbContextOptionsBuilder builder, DatabaseOptions options)
    {
        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(options.ConnectionString, o => o.CommandTimeout(30));
                builder.AddInterceptors(SqlitePragmas.Instance, SqliteWriteGateInterceptor.Instance);
                break;
            case DatabaseProvider.PostgreSql:
                builder.UseNpgsql(options.ConnectionString);
                break;
        }
        return builder;
    }

    /// <summary>Gives every table of the module its schema (PostgreSQL) or prefix (SQLite), and snake_case names.</summary>
    public static void ApplyModuleSchema(this ModelBuilder modelBuilder, string module, bool isSqlite)
    {
        if (!isSqlite) modelBuilder.HasDefaultSchema(module);
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            if (entity.IsOwned() && entity.GetTableName() == entity.FindOwnership()?.PrincipalEntityType.GetTableName())
            {
                foreach (var property in entity.GetProperties())
                    property.SetColumnName(SnakeCase(property.GetColumnName()));
                continue;
            }
            var table = entity.GetTableName();
            if (table is null) continue;
            var snake = SnakeCase(table);
            foreach (var property in entity.GetProperties())
                property.SetColumnName(SnakeCase(property.GetColumnName()));
            var tableName = isSqlite ? $"{module}_{snake}" : snake;
            entity.SetTableName(tableName);
            if (isSqlite) entity.SetSchema(null);
            // Constraint and index names are deterministic so that hand-written migrations can match them.
            foreach (var key in entity.GetDeclaredKeys())
                key.SetName(key.IsPrimaryKey() ? $"pk_{tableName}" : $"ak_{tableName}_{string.Join("_", key.Properties.Select(p => SnakeCase(p.Name)))}");
            foreach (var index in entity.GetDeclaredIndexes())
                index.SetDatabaseName($"ix_{tableName}_{string.Join("_", index.Properties.Select(p => SnakeCase(p.Name)))}");
            foreach (var fk in entity.GetDeclaredForeignKeys())
                fk.SetConstraintName($"fk_{tableName}_{string.Join("_", fk.Properties.Select(p => SnakeCase(p.Name)))}");
        }
    }

    public static string QualifiedTable(DatabaseProvider provider, string module, string table) =>
        provider == DatabaseProvider.Sqlite ? $"\"{module}_{table}\"" : $"\"{module}\".\"{table}\"";

    public static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])) ) && name[i - 1] != '_')
                    sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>
/// SQLite connection settings every connection needs: WAL so readers never block the writer, NORMAL sync
/// (durable at checkpoint, safe against application crashes), foreign keys on, a busy timeout so that
/// concurrent writers queue instead of failing with SQLITE_BUSY, and the I/O settings explained in <see cref="Apply"/>.
/// </summary>
internal sealed class SqlitePragmas : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection,
        Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection,
        Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    // Pooled connections keep their native handle: the pragmas run once per physical connection, not on every open
    // (on a hot path such as a FHIR read, four extra statements per request are a measurable share of the work).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Initialized = new();

    public static void Apply(System.Data.Common.DbConnection connection)
    {
        if (connection is not SqliteConnection sqlite || sqlite.Handle is not { } handle) return;
        if (Initialized.TryGetValue(handle, out _)) return;
        Initialized.AddOrUpdate(handle, Initialized);
        using var cmd = connection.CreateCommand();
        // temp_store=MEMORY: statement journals of multi-row writes stay in memory instead of a temp file created and
        // unlinked per statement. mmap_size: pages of the database file are read through a memory map instead of a
        // pread copy each time a connection's page cache is dropped (in WAL mode it is dropped whenever another
        // connection committed). wal_autocheckpoint 8192 pages (32 MiB at 4 KiB pages): a checkpoint copies every page
        // changed since the last one, so fewer, larger checkpoints write a hot page (an index's right edge) once
        // instead of many times. Measured together on registrations: about 20% less CPU per request (bench/README.md).
        cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; " +
                          "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=8192;";
        cmd.ExecuteNonQuery();
    }
}
