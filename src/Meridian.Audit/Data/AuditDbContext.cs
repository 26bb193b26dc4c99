using Meridian.Audit.Domain;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Audit.Data;

internal sealed class AuditDbContext(DbContextOptions<AuditDbContext> options) : DbContext(options)
{
    public const string Schema = "audit";

    public DbSet<AuditRecord> Records => Set<AuditRecord>();
    public DbSet<AuditSeal> Seals => Set<AuditSeal>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AuditRecord>(e =>
        {
            e.ToTable("record");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.UserId).HasMaxLength(64);
            e.Property(x => x.UserName).HasMaxLength(256);
            e.Property(x => x.Role).HasMaxLength(64);
            e.Property(x => x.ClientId).HasMaxLength(128);
            e.Property(x => x.PatientId).HasMaxLength(64);
            e.Property(x => x.Action).HasMaxLength(32).IsRequired();
            e.Property(x => x.ResourceType).HasMaxLength(64).IsRequired();
            e.Property(x => x.ResourceId).HasMaxLength(128);
            e.Property(x => x.Outcome).HasMaxLength(16).IsRequired();
            e.Property(x => x.SourceAddress).HasMaxLength(64);
            e.Property(x => x.Detail).HasMaxLength(2000);
            e.Property(x => x.ContentHash).HasMaxLength(64).IsRequired();
            e.HasIndex(x => new { x.PatientId, x.OccurredAt });
            e.HasIndex(x => new { x.UserName, x.OccurredAt });
            e.HasIndex(x => x.OccurredAt);
        });
        modelBuilder.Entity<AuditSeal>(e =>
        {
            e.ToTable("seal");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).ValueGeneratedNever();
            e.Property(x => x.ContentHash).HasMaxLength(64).IsRequired();
            e.Property(x => x.PreviousHash).HasMaxLength(64).IsRequired();
            e.Property(x => x.Hash).HasMaxLength(64).IsRequired();
            e.HasIndex(x => x.RecordId).IsUnique();
        });
        modelBuilder.ApplyModuleSchema(Schema, Database.IsSqlite());
    }
}
