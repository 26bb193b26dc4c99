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
