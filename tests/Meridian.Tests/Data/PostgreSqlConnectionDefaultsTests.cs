using Meridian.SharedKernel.Data;
using Meridian.Tests.Infrastructure;
using Meridian.Web.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Meridian.Tests.Data;

public sealed class PostgreSqlConnectionDefaultsTests
{
    [Fact]
    public void A_connection_string_without_them_gets_no_reset_on_close_and_automatic_preparation()
    {
        var b = new NpgsqlConnectionStringBuilder(DatabaseSetup.WithPostgreSqlDefaults("Host=db;Database=meridian;Username=m"));
        Assert.True(b.NoResetOnClose);
        Assert.Equal(64, b.MaxAutoPrepare);
        Assert.Equal(2, b.AutoPrepareMinUsages);
        Assert.Equal("db", b.Host);
    }

    [Fact]
    public void Settings_the_operator_wrote_are_kept()
    {
        var b = new NpgsqlConnectionStringBuilder(DatabaseSetup.WithPostgreSqlDefaults("Host=db;No Reset On Close=false;MaxAutoPrepare=0"));
        Assert.False(b.NoResetOnClose);
        Assert.Equal(0, b.MaxAutoPrepare);
    }
}

public sealed class PostgreSqlConnectionDefaultsInHostTests(PostgreSqlApp app) : IClassFixture<PostgreSqlApp>
{
    [Fact]
    public void The_host_runs_on_the_connection_string_with_the_defaults_applied()
    {
        var b = new NpgsqlConnectionStringBuilder(app.Services.GetRequiredService<DatabaseOptions>().ConnectionString);
        Assert.True(b.NoResetOnClose);
        Assert.Equal(64, b.MaxAutoPrepare);
    }
}
