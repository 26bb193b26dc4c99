using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Fhir.Data;

/// <summary>
/// The FHIR store's schema, declared for EF so that the migration test can compare a migrated database with the model.
/// Reads and writes go through raw ADO.NET (<see cref="Store.FhirStore"/>): the hot path is one indexed lookup that
/// streams stored bytes, which EF would only slow down (see docs/decisions/0003-fhir-store-and-search-index.md).
/// </summary>
internal sealed class FhirDbContext(DbContextOptions<FhirDbContext> options) : DbContext(options)
{
    public const string Schema = "fhir";

    public DbSet<StoredResource> Resources => Set<StoredResource>();
    public DbSet<StoredResourceVersion> History => Set<StoredResourceVersion>();
    public DbSet<SearchToken> Tokens => Set<SearchToken>();
    public DbSet<SearchString> Strings => Set<SearchString>();
    public DbSet<SearchDate> Dates => Set<SearchDate>();
    public DbSet<SearchReference> References => Set<SearchReference>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<StoredResource>(e =>
        {
            e.ToTable("resource");
            e.HasKey(x => new { x.ResourceType, x.Id });
            e.Property(x => x.ResourceType).HasMaxLength(64);
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Json).IsRequired();
        });
        modelBuilder.Entity<StoredResourceVersion>(e =>
        {
            e.ToTable("resource_history");
            e.HasKey(x => new { x.ResourceType, x.Id, x.VersionId });
            e.Property(x => x.ResourceType).HasMaxLength(64);
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Json).IsRequired();
        });
        IndexTable<SearchToken>(modelBuilder, e =>
        {
            e.ToTable("search_token");
            e.HasKey(x => new { x.ResourceType, x.ResourceId, x.Param, x.System, x.Code });
            e.Property(x => x.System).HasMaxLength(256);
            e.Property(x => x.Code).HasMaxLength(256);
            e.HasIndex(x => new { x.ResourceType, x.Param, x.Code, x.System });
        });
        IndexTable<SearchString>(modelBuilder, e =>
        {
            e.ToTable("search_string");
            e.HasKey(x => new { x.ResourceType, x.ResourceId, x.Param, x.Value, x.Exact });
            e.Property(x => x.Value).HasMaxLength(256);
            e.Property(x => x.Exact).HasMaxLength(256);
            // Starts-with search is a range scan (value >= prefix AND value < next prefix); PostgreSQL's "C" collation
            // orders by code point, as SQLite's BINARY does, so the range is the same on both providers.
            if (!Database.IsSqlite()) e.Property(x => x.Value).UseCollation("C");
            e.HasIndex(x => new { x.ResourceType, x.Param, x.Value });
        });
        IndexTable<SearchDate>(modelBuilder, e =>
        {
            e.ToTable("search_date");
            e.HasKey(x => new { x.ResourceType, x.ResourceId, x.Param, x.Low, x.High });
            e.HasIndex(x => new { x.ResourceType, x.Param, x.Low, x.High });
        });
        IndexTable<SearchReference>(modelBuilder, e =>
        {
            e.ToTable("search_reference");
            e.HasKey(x => new { x.ResourceType, x.ResourceId, x.Param, x.TargetType, x.TargetId });
            e.Property(x => x.TargetType).HasMaxLength(64);
            e.Property(x => x.TargetId).HasMaxLength(256);
            e.HasIndex(x => new { x.ResourceType, x.Param, x.TargetId, x.TargetType });
        });
        modelBuilder.ApplyModuleSchema(Schema, Database.IsSqlite());
    }

    /// <summary>The columns every search-index table shares: which resource a row indexes, under which parameter.</summary>
    private static void IndexTable<T>(ModelBuilder modelBuilder, Action<Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T>> configure)
        where T : class, IIndexRow =>
        modelBuilder.Entity<T>(e =>
        {
            e.Property(x => x.ResourceType).HasMaxLength(64);
            e.Property(x => x.ResourceId).HasMaxLength(64);
            e.Property(x => x.Param).HasMaxLength(64);
            configure(e);
        });
}

internal interface IIndexRow
{
    string ResourceType { get; }
    string ResourceId { get; }
    string Param { get; }
}

internal sealed class StoredResource
{
    public string ResourceType { get; set; } = "";
    public string Id { get; set; } = "";
    public int VersionId { get; set; }
    public DateTime LastUpdated { get; set; }
    public bool Deleted { get; set; }
    public byte[] Json { get; set; } = [];
}

internal sealed class StoredResourceVersion
{
    public string ResourceType { get; set; } = "";
    public string Id { get; set; } = "";
    public int VersionId { get; set; }
    public DateTime LastUpdated { get; set; }
    public bool Deleted { get; set; }
    public byte[] Json { get; set; } = [];
}

/// <summary>Token index row. A token without a system is stored with System = "" so that "|code" can find it.</summary>
internal sealed class SearchToken : IIndexRow
{
    public string ResourceType { get; set; } = "";
    public string ResourceId { get; set; } = "";
    public string Param { get; set; } = "";
    public string System { get; set; } = "";
    public string Code { get; set; } = "";
}

/// <summary>String index row: Value is normalized (lower case, accents removed) for the default starts-with match; Exact for :exact.</summary>
internal sealed class SearchString : IIndexRow
{
    public string ResourceType { get; set; } = "";
    public string ResourceId { get; set; } = "";
    public string Param { get; set; } = "";
    public string Value { get; set; } = "";
    public string Exact { get; set; } = "";
}

/// <summary>Date index row: the instants [Low, High] (UTC ticks, inclusive) a FHIR date/dateTime/Period covers.</summary>
internal sealed class SearchDate : IIndexRow
{
    public string ResourceType { get; set; } = "";
    public string ResourceId { get; set; } = "";
    public string Param { get; set; } = "";
    public long Low { get; set; }
    public long High { get; set; }
}

internal sealed class SearchReference : IIndexRow
{
    public string ResourceType { get; set; } = "";
    public string ResourceId { get; set; } = "";
    public string Param { get; set; } = "";
    public string TargetType { get; set; } = "";
    public string TargetId { get; set; } = "";
}
