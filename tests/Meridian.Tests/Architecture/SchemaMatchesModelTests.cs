using System.Data.Common;
using Meridian.SharedKernel.Data;
using Meridian.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Architecture;

/// <summary>
/// The hand-written migrations must produce exactly the schema the EF model expects: a database built by the migrations
/// is compared, table by table, column by column and index by index, with one built from EF Core's own DDL for the model.
/// </summary>
public abstract class SchemaMatchesModelTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : MeridianApp, new()
{
    [Fact]
    public async Task A_freshly_migrated_database_matches_the_EF_model_of_every_module()
    {
        var contexts = ModuleContexts();
        Assert.NotEmpty(contexts);

        var reference = new TApp();
        await reference.CreateDatabaseAsync();
        try
        {
            var referenceOptions = new DatabaseOptions { Provider = app.Provider, ConnectionString = reference.ConnectionString };
            foreach (var type in contexts)
            {
                await using var ctx = CreateContext(type, referenceOptions);
                await ctx.Database.ExecuteSqlRawAsync(ctx.Database.GenerateCreateScript());
            }

            var migrated = await CatalogAsync(app.Services.GetRequiredService<DatabaseOptions>());
            var expected = await CatalogAsync(referenceOptions);
            migrated.RemoveWhere(line => line.Contains("meridian_migrations", StringComparison.Ordinal));

            var missing = expected.Except(migrated).Order().ToList();
            var extra = migrated.Except(expected).Order().ToList();
            Assert.True(missing.Count == 0 && extra.Count == 0,
                $"Migrations and model differ.\nExpected by the model but not migrated:\n  {string.Join("\n  ", missing)}\nMigrated but not in the model:\n  {string.Join("\n  ", extra)}");
        }
        finally
        {
            await reference.DropDatabaseAsync();
        }
    }

    internal static IReadOnlyList<Type> ModuleContexts() =>
        AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name?.StartsWith("Meridian.", StringComparison.Ordinal) == true)
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsSubclassOf(typeof(DbContext)) && !t.IsAbstract)
            .OrderBy(t => t.FullName)
            .ToList();

    private static DbContext CreateContext(Type type, DatabaseOptions options)
    {
        var builderType = typeof(DbContextOptionsBuilder<>).MakeGenericType(type);
        var builder = (DbContextOptionsBuilder)Activator.CreateInstance(builderType)!;
        builder.UseMeridianDatabase(options);
        return (DbContext)Activator.CreateInstance(type, builder.Options)!;
    }

    private static async Task<HashSet<string>> CatalogAsync(DatabaseOptions options)
    {
        var lines = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = DbConnections.Create(options);
        await connection.OpenAsync();
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            var tables = await QueryAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
            foreach (var t in tables.Select(r => r[0]))
            {
                foreach (var c in await QueryAsync(connection, $"SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}')"))
                    lines.Add($"column {t}.{c[0]} {c[1]} notnull={c[2]} pk={c[3]}");
                foreach (var i in await QueryAsync(connection, $"SELECT name, \"unique\", origin FROM pragma_index_list('{t}')"))
                {
                    if (i[2] == "pk") continue;
                    var cols = await QueryAsync(connection, $"SELECT name FROM pragma_index_info('{i[0]}') ORDER BY seqno");
                    lines.Add($"index {t}.{i[0]} unique={i[1]} ({string.Join(",", cols.Select(c => c[0]))})");
                }
                foreach (var f in await QueryAsync(connection, $"SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{t}')"))
                    lines.Add($"fk {t}.{f[1]} -> {f[0]}.{f[2]} on delete {f[3]}");
            }
        }
        else
        {
            foreach (var c in await QueryAsync(connection,
                         "SELECT table_schema, table_name, column_name, data_type, coalesce(character_maximum_length::text, ''), is_nullable, coalesce(column_default, '') " +
                         "FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"))
                lines.Add($"column {c[0]}.{c[1]}.{c[2]} {c[3]}({c[4]}) nullable={c[5]} default={c[6]}");
            foreach (var i in await QueryAsync(connection, "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"))
                lines.Add($"index {i[0]}.{i[1]}.{i[2]} {i[3]}");
            foreach (var f in await QueryAsync(connection,
                         "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('f', 'p', 'u', 'c') AND connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"))
                lines.Add($"constraint {f[0]}.{f[1]} {f[2]}");
        }
        return lines;
    }

    private static async Task<List<string[]>> QueryAsync(DbConnection connection, string sql)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            rows.Add(row);
        }
        return rows;
    }
}

public sealed class SchemaMatchesModelTests_Sqlite(SqliteApp app) : SchemaMatchesModelTests<SqliteApp>(app);
public sealed class SchemaMatchesModelTests_PostgreSql(PostgreSqlApp app) : SchemaMatchesModelTests<PostgreSqlApp>(app);
