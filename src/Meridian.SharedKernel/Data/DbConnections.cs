using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Meridian.SharedKernel.Data;

public static class DbConnections
{
    /// <summary>A new (pooled) ADO.NET connection to the practice database, for raw SQL on hot paths.</summary>
    public static DbConnection Create(DatabaseOptions options) => options.Provider switch
    {
        DatabaseProvider.Sqlite => new SqlitePragmaConnection(options.ConnectionString),
        _ => new NpgsqlConnection(options.ConnectionString),
    };

    /// <summary>
    /// A connection outside the pool, for a long-lived owner that changes its session (e.g. <c>SET synchronous_commit</c>):
    /// pooled connections are not reset on return (No Reset On Close), so such a session must never go back to the pool.
    /// </summary>
    public static DbConnection CreateUnpooled(DatabaseOptions options) => options.Provider switch
    {
        DatabaseProvider.Sqlite => new SqlitePragmaConnection(new SqliteConnectionStringBuilder(options.ConnectionString) { Pooling = false }.ToString()),
        _ => new NpgsqlConnection(new NpgsqlConnectionStringBuilder(options.ConnectionString) { Pooling = false }.ConnectionString),
    };

    private sealed class SqlitePragmaConnection(string cs) : SqliteConnection(cs)
    {
        public override void Open()
        {
            base.Open();
            SqlitePragmas.Apply(this);
        }

        public override async Task OpenAsync(CancellationToken cancellationToken)
        {
            await base.OpenAsync(cancellationToken);
            SqlitePragmas.Apply(this);
        }
    }
}
