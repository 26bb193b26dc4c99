using Meridian.SharedKernel.Data;
using Microsoft.Data.Sqlite;

namespace Meridian.Web.Infrastructure;

internal static class DatabaseSetup
{
    /// <summary>
    /// Reads Meridian:Database:Provider and ConnectionStrings:Meridian. With no connection string, SQLite uses
    /// {data directory}/meridian.db, where the data directory is Meridian:DataDirectory (default: ./data beside the app).
    /// </summary>
    public static void AddMeridianDatabase(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var provider = DatabaseOptions.ParseProvider(config["Meridian:Database:Provider"]);
        var connectionString = config.GetConnectionString("Meridian");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (provider == DatabaseProvider.PostgreSql)
                throw new InvalidOperationException("ConnectionStrings:Meridian (env ConnectionStrings__Meridian) is required for PostgreSQL.");
            var dataDir = config["Meridian:DataDirectory"] is { Length: > 0 } d ? d : Path.Combine(builder.Environment.ContentRootPath, "data");
            connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "meridian.db"), Pooling = true }.ToString();
        }
        if (provider == DatabaseProvider.PostgreSql) connectionString = WithPostgreSqlDefaults(connectionString);
        builder.Services.AddSingleton(new DatabaseOptions { Provider = provider, ConnectionString = connectionString });
        builder.Services.AddSingleton<WriteTransactions>();
        builder.Services.AddSingleton(new MeridianMode(config.GetValue("Meridian:Demo", false)));
        builder.Services.AddSingleton<MigrationRunner>();
    }

    /// <summary>
    /// Npgsql settings Meridian relies on, unless the connection string sets them itself. <c>No Reset On Close</c>: by
    /// default a pooled connection runs <c>DISCARD ALL</c> before its next use, a statement per request on hot paths such as
    /// a FHIR read; Meridian keeps no session state (its <c>SET LOCAL</c> and advisory locks end with their transaction), so
    /// there is nothing to reset. <c>Max Auto Prepare</c>: statements run twice on a connection are prepared on the server,
    /// so PostgreSQL parses and plans the hot ones once per connection. Measured together: FHIR reads 3,213 → 5,433/s on
    /// the bench (bench/README.md).
    /// </summary>
    internal static string WithPostgreSqlDefaults(string connectionString)
    {
        var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Has(params string[] keys) => keys.Any(builder.ContainsKey);
        if (!Has("No Reset On Close", "NoResetOnClose")) builder["No Reset On Close"] = "true";
        if (!Has("Max Auto Prepare", "MaxAutoPrepare")) builder["Max Auto Prepare"] = "64";
        if (!Has("Auto Prepare Min Usages", "AutoPrepareMinUsages")) builder["Auto Prepare Min Usages"] = "2";
        return builder.ConnectionString;
    }

    /// <summary>
    /// Embedded (SQLite) and demo installs migrate at start. A production PostgreSQL install is migrated by the explicit
    /// <c>migrate</c> command, so a schema change is a deliberate, reviewed step; the host refuses to start on a stale schema.
    /// </summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        var db = app.Services.GetRequiredService<DatabaseOptions>();
        var mode = app.Services.GetRequiredService<MeridianMode>();
        var runner = app.Services.GetRequiredService<MigrationRunner>();
        var autoMigrate = app.Configuration.GetValue<bool?>("Meridian:Database:AutoMigrate") ?? (db.Provider == DatabaseProvider.Sqlite || mode.Demo);
        if (autoMigrate)
        {
            await runner.MigrateAsync();
        }
        else
        {
            var pending = await runner.PendingAsync();
            if (pending.Count > 0)
                throw new InvalidOperationException(
                    $"The database schema is {pending.Count} migration(s) behind ({string.Join(", ", pending.Select(p => $"{p.Module} {p.Version:0000}_{p.Name}"))}). " +
                    "Run `dotnet Meridian.Web.dll migrate` (or `dotnet run --project src/Meridian.Web -- migrate`) first.");
        }
        if (mode.Demo)
        {
            await using var scope = app.Services.CreateAsyncScope();
            foreach (var seeder in scope.ServiceProvider.GetServices<IDemoSeeder>().OrderBy(s => s.Order))
                await seeder.SeedAsync(CancellationToken.None);
        }
    }
}
