using System.Data.Common;
using Meridian.Messaging.Domain;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Meridian.Messaging.Data;

internal sealed class MessagingDbContext(DbContextOptions<MessagingDbContext> options) : DbContext(options)
{
    public const string Schema = "messaging";

    public DbSet<Message> Messages => Set<Message>();
    public DbSet<MessageEvent> Events => Set<MessageEvent>();
    public DbSet<InboundMessage> Inbound => Set<InboundMessage>();
    public DbSet<OptOut> OptOuts => Set<OptOut>();
    public DbSet<SimulatedEmail> SimulatedEmails => Set<SimulatedEmail>();
    public DbSet<SimulatedSms> SimulatedTexts => Set<SimulatedSms>();

    /// <summary>
    /// A context on the caller's connection and transaction, for work that must commit with the caller's
    /// (the outbox pattern). The caller owns both; disposing the context closes neither.
    /// </summary>
    public static MessagingDbContext On(DbTransaction transaction, DatabaseOptions database)
    {
        var connection = transaction.Connection ?? throw new ArgumentException("The transaction has no connection (already committed or rolled back?).", nameof(transaction));
        var builder = new DbContextOptionsBuilder<MessagingDbContext>();
        if (database.Provider == DatabaseProvider.Sqlite) builder.UseSqlite(connection);
        else builder.UseNpgsql(connection);
        var context = new MessagingDbContext(builder.Options);
        context.Database.UseTransaction(transaction);
        return context;
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // UTC in, UTC out: SQLite hands DateTime back with Kind Unspecified, and comparisons in queries need DateTime, not DateTimeOffset.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Message>(e =>
        {
            e.ToTable("message");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Channel).HasConversion<string>().HasMaxLength(8).IsRequired();
            e.Property(x => x.Recipient).HasMaxLength(Limits.Address).IsRequired();
            e.Property(x => x.Subject).HasMaxLength(Limits.Subject);
            e.Property(x => x.Body).IsRequired();
            e.Property(x => x.Purpose).HasMaxLength(Limits.Purpose).IsRequired();
            e.Property(x => x.CorrelationKey).HasMaxLength(Limits.CorrelationKey).IsRequired();
            e.Property(x => x.Reference).HasMaxLength(Limits.Reference);
            e.Property(x => x.TimeZone).HasMaxLength(64).IsRequired();
            // A sender records its result only if the message is still in the state and under the lease it claimed.
            e.Property(x => x.State).HasConversion<string>().HasMaxLength(16).IsRequired().IsConcurrencyToken();
            e.Property(x => x.LeaseToken).IsConcurrencyToken();
            e.Property(x => x.ProviderMessageId).HasMaxLength(200);
            e.Property(x => x.LastError).HasMaxLength(Limits.Detail);
            e.HasIndex(x => x.CorrelationKey).IsUnique();
            // The sender's claim: due messages in order of their due time (final states have no next attempt).
            e.HasIndex(x => x.NextAttemptAt);
            e.HasIndex(x => new { x.PatientId, x.CreatedAt });
            e.HasIndex(x => x.Reference);
            e.HasIndex(x => x.CreatedAt);
            // Matching a reply to the latest message sent to that number.
            e.HasIndex(x => new { x.Recipient, x.SentAt });
        });
        modelBuilder.Entity<MessageEvent>(e =>
        {
            e.ToTable("message_event");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.State).HasConversion<string>().HasMaxLength(16).IsRequired();
            e.Property(x => x.Detail).HasMaxLength(Limits.Detail);
            e.HasIndex(x => x.MessageId);
            e.HasOne<Message>().WithMany().HasForeignKey(x => x.MessageId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<InboundMessage>(e =>
        {
            e.ToTable("inbound_message");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Channel).HasConversion<string>().HasMaxLength(8).IsRequired();
            e.Property(x => x.Sender).HasMaxLength(Limits.Address).IsRequired();
            e.Property(x => x.Body).HasMaxLength(Limits.SmsBody).IsRequired();
            e.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16).IsRequired();
            e.Property(x => x.Detail).HasMaxLength(Limits.Detail);
            e.HasIndex(x => x.ReceivedAt);
            e.HasIndex(x => new { x.Sender, x.ReceivedAt });
            e.HasIndex(x => x.MatchedMessageId);
        });
        modelBuilder.Entity<OptOut>(e =>
        {
            e.ToTable("opt_out");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Channel).HasConversion<string>().HasMaxLength(8).IsRequired();
            e.Property(x => x.Address).HasMaxLength(Limits.Address).IsRequired();
            e.Property(x => x.Source).HasMaxLength(64).IsRequired();
            e.HasIndex(x => new { x.Channel, x.Address }).IsUnique();
        });
        modelBuilder.Entity<SimulatedEmail>(e =>
        {
            e.ToTable("simulated_email");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.InternetMessageId).HasMaxLength(200).IsRequired();
            e.Property(x => x.Sender).HasMaxLength(Limits.Address).IsRequired();
            e.Property(x => x.Recipient).HasMaxLength(Limits.Address).IsRequired();
            e.Property(x => x.Subject).HasMaxLength(Limits.Subject);
            e.Property(x => x.Mime).IsRequired();
            e.HasIndex(x => x.InternetMessageId).IsUnique();
            e.HasIndex(x => x.ReceivedAt);
        });
        modelBuilder.Entity<SimulatedSms>(e =>
        {
            e.ToTable("simulated_sms");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.ClientReference).HasMaxLength(200).IsRequired();
            e.Property(x => x.Recipient).HasMaxLength(Limits.Address).IsRequired();
            e.Property(x => x.Body).HasMaxLength(Limits.SmsBody).IsRequired();
            e.HasIndex(x => x.ClientReference).IsUnique();
            e.HasIndex(x => new { x.Recipient, x.SentAt });
        });
        modelBuilder.ApplyModuleSchema(Schema, Database.IsSqlite());
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

/// <summary>Maximum lengths, shared by the model and validation so that a valid message always fits.</summary>
internal static class Limits
{
    public const int Address = 254;          // RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets
    public const int Subject = 300;
    public const int Purpose = 64;
    public const int CorrelationKey = 200;
    public const int Reference = 128;
    public const int Detail = 2000;
    public const int SmsBody = 1600;         // ten concatenated segments; gateways refuse longer texts
    public const int EmailBody = 100_000;

    /// <summary>A detail or error text cut to fit its column (the database would refuse it, or PostgreSQL would abort the transaction).</summary>
    public static string Trim(string s) => s.Length <= Detail ? s : s[..(Detail - 1)] + "…";
}
