using Meridian.Identity.Domain;
using Meridian.SharedKernel.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Identity.Data;

internal sealed class MeridianIdentityDbContext(DbContextOptions<MeridianIdentityDbContext> options)
    : IdentityDbContext<StaffUser, IdentityRole, string>(options)
{
    public const string Schema = "identity";

    public DbSet<ApiClient> ApiClients => Set<ApiClient>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<StaffUser>(e =>
        {
            e.ToTable("user");
            e.Property(x => x.DisplayName).HasMaxLength(200).IsRequired();
        });
        builder.Entity<IdentityRole>().ToTable("role");
        builder.Entity<IdentityUserRole<string>>().ToTable("user_role");
        builder.Entity<IdentityUserClaim<string>>().ToTable("user_claim");
        builder.Entity<IdentityUserLogin<string>>().ToTable("user_login");
        builder.Entity<IdentityUserToken<string>>().ToTable("user_token");
        builder.Entity<IdentityRoleClaim<string>>().ToTable("role_claim");
        builder.Entity<ApiClient>(e =>
        {
            e.ToTable("api_client");
            e.HasKey(x => x.ClientId);
            e.Property(x => x.ClientId).HasMaxLength(128);
            e.Property(x => x.Name).HasMaxLength(200).IsRequired();
            e.Property(x => x.SecretHash).HasMaxLength(512).IsRequired();
            e.Property(x => x.AllowedScopes).HasMaxLength(2000).IsRequired();
            e.Property(x => x.UserId).HasMaxLength(450);
            e.HasIndex(x => x.UserId);
        });
        builder.Entity<SigningKey>(e =>
        {
            e.ToTable("signing_key");
            e.HasKey(x => x.KeyId);
            e.Property(x => x.KeyId).HasMaxLength(64);
            e.Property(x => x.PrivateKeyPem).IsRequired();
        });
        builder.Entity<DataProtectionKey>(e =>
        {
            e.ToTable("data_protection_key");
            e.HasKey(x => x.Id);
            e.Property(x => x.FriendlyName).HasMaxLength(200);
            e.Property(x => x.Xml).IsRequired();
        });
        builder.ApplyModuleSchema(Schema, Database.IsSqlite());
    }
}
