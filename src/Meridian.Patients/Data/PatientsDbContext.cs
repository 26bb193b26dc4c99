using Meridian.Patients.Domain;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meridian.Patients.Data;

internal sealed class PatientsDbContext(DbContextOptions<PatientsDbContext> options) : DbContext(options)
{
    public const string Schema = "patients";

    public DbSet<Patient> Patients => Set<Patient>();
    public DbSet<PatientPhone> PatientPhones => Set<PatientPhone>();
    public DbSet<Coverage> Coverages => Set<Coverage>();
    public DbSet<PatientMerge> Merges => Set<PatientMerge>();
    public DbSet<Counter> Counters => Set<Counter>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var sqlite = Database.IsSqlite();
        modelBuilder.Entity<Patient>(e =>
        {
            e.ToTable("patient");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            Normalized(e.Property(x => x.Mrn).HasMaxLength(20).IsRequired(), sqlite);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Property(x => x.FamilyName).HasMaxLength(Limits.Name).IsRequired();
            e.Property(x => x.GivenNames).HasMaxLength(Limits.GivenJson).IsRequired();
            e.Property(x => x.NamePrefix).HasMaxLength(Limits.Short);
            e.Property(x => x.NameSuffix).HasMaxLength(Limits.Short);
            e.Property(x => x.Gender).HasMaxLength(16).IsRequired();
            e.Property(x => x.BirthSex).HasMaxLength(8);
            e.Property(x => x.RaceText).HasMaxLength(Limits.Text);
            e.Property(x => x.EthnicityText).HasMaxLength(Limits.Text);
            e.Property(x => x.PossibleDuplicateOf).HasMaxLength(Limits.Text);
            Normalized(e.Property(x => x.FamilyNorm).HasMaxLength(Limits.Name).IsRequired(), sqlite);
            Normalized(e.Property(x => x.GivenNorm).HasMaxLength(Limits.Name).IsRequired(), sqlite);
            Normalized(e.Property(x => x.PreferredGivenNorm).HasMaxLength(Limits.Name), sqlite);
            e.HasIndex(x => x.Mrn).IsUnique();
            // The name-prefix hot path: a range scan on (family, given, id) returns keys already in display order.
            // Partial (current records only) so that the search's "not merged" condition needs no table lookup:
            // the given-name branch sorts its matches from the index alone.
            var current = sqlite ? "\"merged_into_id\" IS NULL" : "merged_into_id IS NULL";
            e.HasIndex(x => new { x.FamilyNorm, x.GivenNorm, x.Id }).HasFilter(current);
            e.HasIndex(x => new { x.GivenNorm, x.FamilyNorm, x.Id }).HasFilter(current);
            e.HasIndex(x => new { x.PreferredGivenNorm, x.FamilyNorm, x.GivenNorm, x.Id }).HasFilter(current);
            e.HasIndex(x => x.BirthDate);
            e.HasIndex(x => x.MergedIntoId);
            e.HasMany(x => x.Coverages).WithOne().HasForeignKey(x => x.PatientId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(x => x.Phones).WithOne().HasForeignKey(x => x.PatientId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<PatientPhone>(e =>
        {
            e.ToTable("patient_phone");
            e.HasKey(x => new { x.PatientId, x.Digits });
            Normalized(e.Property(x => x.Digits).HasMaxLength(32), sqlite);
            e.HasIndex(x => x.Digits);
        });
        modelBuilder.Entity<Coverage>(e =>
        {
            e.ToTable("coverage");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Property(x => x.PayerName).HasMaxLength(Limits.Text).IsRequired();
            e.Property(x => x.PayerId).HasMaxLength(Limits.Short);
            e.Property(x => x.PlanName).HasMaxLength(Limits.Text);
            e.Property(x => x.MemberId).HasMaxLength(Limits.Identifier).IsRequired();
            Normalized(e.Property(x => x.MemberIdNorm).HasMaxLength(Limits.Identifier).IsRequired(), sqlite);
            e.Property(x => x.GroupNumber).HasMaxLength(Limits.Identifier);
            e.Property(x => x.SubscriberRelationship).HasMaxLength(16).IsRequired();
            e.HasIndex(x => x.PatientId);
            e.HasIndex(x => x.MemberIdNorm);
            // FHIR Coverage.order: one primary, one secondary, one tertiary among the patient's active coverages.
            e.HasIndex(x => new { x.PatientId, x.Rank }).IsUnique().HasFilter(sqlite ? "\"active\" = 1" : "active");
        });
        modelBuilder.Entity<PatientMerge>(e =>
        {
            e.ToTable("merge");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Reason).HasMaxLength(Limits.Text).IsRequired();
            e.Property(x => x.MergedByUserId).HasMaxLength(64);
            e.Property(x => x.MergedByUserName).HasMaxLength(256);
            e.Property(x => x.SurvivorSnapshot).IsRequired();
            e.Property(x => x.MergedSnapshot).IsRequired();
            e.HasIndex(x => x.MergedAt);
            e.HasIndex(x => x.SurvivorId);
            e.HasIndex(x => x.MergedId);
        });
        modelBuilder.Entity<Counter>(e =>
        {
            e.ToTable("counter");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(32);
        });
        modelBuilder.ApplyModuleSchema(Schema, sqlite);
    }

    /// <summary>Byte-order collation on PostgreSQL so that prefix ranges are exact and index-backed (SQLite's default is binary).</summary>
    private static void Normalized(PropertyBuilder property, bool sqlite)
    {
        if (!sqlite) property.UseCollation("C");
    }
}

/// <summary>Maximum lengths, shared by the model and request validation so that a valid request always fits.</summary>
internal static class Limits
{
    public const int Name = 100;
    public const int GivenJson = 400;
    public const int Short = 40;
    public const int Text = 200;
    public const int Identifier = 64;
    public const int Line = 200;
    public const int Telecom = 254;
    public const int MaxGiven = 4;
    public const int MaxAddresses = 5;
    public const int MaxTelecom = 10;
    public const int MaxCodings = 10;
}
