using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Meridian.Scheduling.Data;

internal sealed class SchedulingDbContext(DbContextOptions<SchedulingDbContext> options) : DbContext(options)
{
    public const string Schema = "scheduling";

    public DbSet<Location> Locations => Set<Location>();
    public DbSet<Provider> Providers => Set<Provider>();
    public DbSet<Resource> Resources => Set<Resource>();
    public DbSet<AppointmentType> AppointmentTypes => Set<AppointmentType>();
    public DbSet<AppointmentTypeProvider> AppointmentTypeProviders => Set<AppointmentTypeProvider>();
    public DbSet<AvailabilityTemplate> Templates => Set<AvailabilityTemplate>();
    public DbSet<AvailabilityRule> Rules => Set<AvailabilityRule>();
    public DbSet<AvailabilityException> Exceptions => Set<AvailabilityException>();
    public DbSet<Appointment> Appointments => Set<Appointment>();
    public DbSet<AppointmentEvent> Events => Set<AppointmentEvent>();
    public DbSet<AppointmentSeries> Series => Set<AppointmentSeries>();
    public DbSet<WaitlistEntry> WaitlistEntries => Set<WaitlistEntry>();
    public DbSet<FreedTime> Openings => Set<FreedTime>();
    public DbSet<WaitlistOffer> Offers => Set<WaitlistOffer>();
    public DbSet<ReminderRule> ReminderRules => Set<ReminderRule>();
    public DbSet<ReminderLog> ReminderLogs => Set<ReminderLog>();
    public DbSet<AppointmentLink> AppointmentLinks => Set<AppointmentLink>();
    public DbSet<EligibilityCheck> EligibilityChecks => Set<EligibilityCheck>();


    /// <summary>SQLite hands DateTime back as Unspecified; every instant in this module is UTC.</summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var sqlite = Database.IsSqlite();
        modelBuilder.Entity<Location>(e =>
        {
            e.ToTable("location");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Name).HasMaxLength(Limits.Name).IsRequired();
            e.Property(x => x.TimeZone).HasMaxLength(64).IsRequired();
            e.Property(x => x.Phone).HasMaxLength(32);
            e.Property(x => x.FhirLocationId).HasMaxLength(64);
        });
        modelBuilder.Entity<Provider>(e =>
        {
            e.ToTable("provider");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Name).HasMaxLength(Limits.Name).IsRequired();
            e.Property(x => x.Npi).HasMaxLength(10);
            e.Property(x => x.StaffUserId).HasMaxLength(64);
            e.Property(x => x.FhirPractitionerId).HasMaxLength(64);
            e.Property(x => x.Color).HasMaxLength(7).IsRequired();
            e.Property(x => x.CalendarFeedTokenHash).HasMaxLength(64);
            e.HasIndex(x => x.CalendarFeedTokenHash).IsUnique();
        });
        modelBuilder.Entity<Resource>(e =>
        {
            e.ToTable("resource");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Kind).HasMaxLength(16).IsRequired();
            e.Property(x => x.Name).HasMaxLength(Limits.Name).IsRequired();
            e.HasIndex(x => x.LocationId);
            e.HasOne<Location>().WithMany().HasForeignKey(x => x.LocationId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<AppointmentType>(e =>
        {
            e.ToTable("appointment_type");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Name).HasMaxLength(Limits.Name).IsRequired();
            e.Property(x => x.Color).HasMaxLength(7).IsRequired();
            e.Property(x => x.PatientKind).HasMaxLength(16).IsRequired();
            e.Property(x => x.RequiredResourceKinds).HasMaxLength(Limits.Text).IsRequired();
            e.HasMany(x => x.Providers).WithOne().HasForeignKey(x => x.AppointmentTypeId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AppointmentTypeProvider>(e =>
        {
            e.ToTable("appointment_type_provider");
            e.HasKey(x => new { x.AppointmentTypeId, x.ProviderId });
            e.HasIndex(x => x.ProviderId);
            e.HasOne<Provider>().WithMany().HasForeignKey(x => x.ProviderId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<AvailabilityTemplate>(e =>
        {
            e.ToTable("template");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Name).HasMaxLength(Limits.Name).IsRequired();
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => new { x.ProviderId, x.LocationId });
            e.HasOne<Provider>().WithMany().HasForeignKey(x => x.ProviderId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Location>().WithMany().HasForeignKey(x => x.LocationId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(x => x.Rules).WithOne().HasForeignKey(x => x.TemplateId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AvailabilityRule>(e =>
        {
            e.ToTable("template_rule");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Weekday).HasConversion<int>();
            e.Property(x => x.Kind).HasMaxLength(16).IsRequired();
            e.Property(x => x.Label).HasMaxLength(Limits.Name);
            e.HasIndex(x => x.TemplateId);
        });
        modelBuilder.Entity<AvailabilityException>(e =>
        {
            e.ToTable("availability_exception");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Kind).HasMaxLength(16).IsRequired();
            e.Property(x => x.Reason).HasMaxLength(Limits.Text).IsRequired();
            e.HasIndex(x => new { x.ProviderId, x.StartUtc });
            e.HasIndex(x => new { x.LocationId, x.StartUtc });
        });
        modelBuilder.Entity<Appointment>(e =>
        {
            e.ToTable("appointment");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Status).HasMaxLength(16).IsRequired();
            e.Property(x => x.VisitReason).HasMaxLength(Limits.Text);
            e.Property(x => x.Note).HasMaxLength(Limits.Note);
            e.Property(x => x.CancelReason).HasMaxLength(Limits.Text);
            e.Property(x => x.CopayCollected).HasPrecision(10, 2);
            e.Property(x => x.CopayMethod).HasMaxLength(16);
            e.Property(x => x.CreatedBy).HasMaxLength(256);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Ignore(x => x.State);
            e.Ignore(x => x.Holds);
            // The conflict check and every calendar read a range of start times per provider, room, patient or location.
            e.HasIndex(x => new { x.ProviderId, x.StartUtc });
            e.HasIndex(x => new { x.PatientId, x.StartUtc });
            e.HasIndex(x => new { x.ResourceId, x.StartUtc });
            e.HasIndex(x => new { x.LocationId, x.StartUtc });
            e.HasIndex(x => x.SeriesId);
            e.HasOne<Provider>().WithMany().HasForeignKey(x => x.ProviderId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Location>().WithMany().HasForeignKey(x => x.LocationId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<AppointmentType>().WithMany().HasForeignKey(x => x.AppointmentTypeId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<AppointmentSeries>().WithMany().HasForeignKey(x => x.SeriesId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<AppointmentEvent>(e =>
        {
            e.ToTable("appointment_event");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.Action).HasMaxLength(32).IsRequired();
            e.Property(x => x.UserId).HasMaxLength(64);
            e.Property(x => x.UserName).HasMaxLength(256);
            e.Property(x => x.Detail).HasMaxLength(Limits.Note);
            e.HasIndex(x => x.AppointmentId);
            e.HasOne<Appointment>().WithMany().HasForeignKey(x => x.AppointmentId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AppointmentSeries>(e =>
        {
            e.ToTable("series");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Rule).HasMaxLength(Limits.Text).IsRequired();
            e.Property(x => x.TimeZone).HasMaxLength(64).IsRequired();
        });
        modelBuilder.Entity<WaitlistEntry>(e =>
        {
            e.ToTable("waitlist_entry");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.PreferredProviderIds).HasMaxLength(Limits.IdList).IsRequired();
            e.Property(x => x.PreferredWeekdays).HasMaxLength(16).IsRequired();
            e.Property(x => x.Channel).HasMaxLength(8).IsRequired();
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.Note).HasMaxLength(Limits.Note);
            e.Property(x => x.CreatedBy).HasMaxLength(256);
            // The offerer reads waiting entries of one type; the list filters by state and type.
            e.HasIndex(x => new { x.State, x.AppointmentTypeId });
            e.HasIndex(x => x.PatientId);
            e.HasOne<AppointmentType>().WithMany().HasForeignKey(x => x.AppointmentTypeId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<FreedTime>(e =>
        {
            e.ToTable("opening");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.Detail).HasMaxLength(Limits.Text);
            e.HasIndex(x => new { x.State, x.StartUtc });
            e.HasOne<Provider>().WithMany().HasForeignKey(x => x.ProviderId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Location>().WithMany().HasForeignKey(x => x.LocationId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<WaitlistOffer>(e =>
        {
            e.ToTable("waitlist_offer");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.TokenHash).HasMaxLength(64).IsRequired();
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.Channel).HasMaxLength(8).IsRequired();
            e.Property(x => x.Detail).HasMaxLength(Limits.Text);
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasIndex(x => x.OpeningId);
            e.HasIndex(x => x.EntryId);
            e.HasIndex(x => new { x.State, x.ExpiresAt });
            e.HasOne<FreedTime>().WithMany().HasForeignKey(x => x.OpeningId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<WaitlistEntry>().WithMany().HasForeignKey(x => x.EntryId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<ReminderRule>(e =>
        {
            e.ToTable("reminder_rule");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Name).HasMaxLength(Limits.Name).IsRequired();
            e.Property(x => x.Channels).HasMaxLength(16).IsRequired();
            e.Property(x => x.AppointmentTypeIds).HasMaxLength(Limits.IdList).IsRequired();
            e.Property(x => x.Template).HasMaxLength(ReminderTemplate.MaxLength).IsRequired();
            e.Property(x => x.Version).IsConcurrencyToken();
        });
        modelBuilder.Entity<ReminderLog>(e =>
        {
            e.ToTable("reminder_log");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.State).HasMaxLength(16).IsRequired();
            e.Property(x => x.Channel).HasMaxLength(8);
            e.Property(x => x.Detail).HasMaxLength(Limits.Text);
            // One decision per reminder: a second scheduler pass (or a second host) cannot send it again.
            e.HasIndex(x => new { x.AppointmentId, x.RuleId, x.AppointmentVersion }).IsUnique();
            e.HasIndex(x => x.RuleId);
            e.HasOne<Appointment>().WithMany().HasForeignKey(x => x.AppointmentId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<ReminderRule>().WithMany().HasForeignKey(x => x.RuleId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AppointmentLink>(e =>
        {
            e.ToTable("appointment_link");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.TokenHash).HasMaxLength(64).IsRequired();
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasIndex(x => x.AppointmentId);
            e.HasOne<Appointment>().WithMany().HasForeignKey(x => x.AppointmentId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<EligibilityCheck>(e =>
        {
            e.ToTable("eligibility_check");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.RequestedBy).HasMaxLength(256);
            e.Property(x => x.Status).HasMaxLength(16).IsRequired();
            e.Property(x => x.PayerName).HasMaxLength(Limits.Text);
            e.Property(x => x.PlanName).HasMaxLength(Limits.Text);
            e.Property(x => x.Copay).HasPrecision(10, 2);
            e.Property(x => x.CoinsurancePercent).HasPrecision(5, 2);
            e.Property(x => x.Deductible).HasPrecision(10, 2);
            e.Property(x => x.DeductibleRemaining).HasPrecision(10, 2);
            e.Property(x => x.Messages).HasMaxLength(Limits.Note);
            e.HasIndex(x => x.AppointmentId);
            e.HasIndex(x => new { x.PatientId, x.RequestedAt });
        });
        modelBuilder.ApplyModuleSchema(Schema, sqlite);
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(v => v, v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

internal static class Limits
{
    public const int Name = 100;
    public const int Text = 200;
    public const int Note = 2000;
    /// <summary>Room for 20 comma-separated ids.</summary>
    public const int IdList = 800;
}
