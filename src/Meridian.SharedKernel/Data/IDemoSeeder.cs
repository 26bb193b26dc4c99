namespace Meridian.SharedKernel.Data;

/// <summary>
/// Seeds a module's part of the demo practice. Runs only with Meridian:Demo=true, in ascending Order, after migrations;
/// each seeder is idempotent (it checks whether its data is already there).
/// </summary>
public interface IDemoSeeder
{
    int Order { get; }
    Task SeedAsync(CancellationToken ct);
}

/// <summary>Whether this host runs the demo practice (Meridian:Demo).</summary>
public sealed record MeridianMode(bool Demo);
