using Meridian.Audit.Features;
using Meridian.Identity.Features.ManageUsers;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Web.Infrastructure;

/// <summary>
/// Administrative commands: <c>dotnet Meridian.Web.dll &lt;command&gt;</c> (or <c>dotnet run --project src/Meridian.Web -- &lt;command&gt;</c>).
/// They run against the configured database and exit; the web server is not started.
/// </summary>
internal static class MeridianCommands
{
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) return false;
        var command = args[0];
        var options = ParseOptions(args.Skip(1));
        await using var scope = app.Services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        switch (command)
        {
            case "migrate":
                var applied = await sp.GetRequiredService<MigrationRunner>().MigrateAsync();
                Console.WriteLine(applied == 0 ? "The database is up to date." : $"Applied {applied} migration(s).");
                break;
            case "create-admin":
                if (await sp.GetRequiredService<MigrationRunner>().PendingAsync() is { Count: > 0 } pending)
                    throw new InvalidOperationException($"Run 'migrate' first: {pending.Count} migration(s) pending.");
                var email = Require(options, "email");
                var password = options.GetValueOrDefault("password") ?? ReadSecret("Password for the first Administrator: ");
                var result = await sp.GetRequiredService<ManageUsersHandler>().CreateFirstAdministratorAsync(
                    email, options.GetValueOrDefault("name") ?? email, password, CancellationToken.None);
                Console.WriteLine($"Created Administrator {result.Email}. Sign in and enrol multi-factor authentication.");
                break;
            case "verify-audit":
                var report = await sp.GetRequiredService<VerifyAuditChain>().RunAsync();
                Console.WriteLine(report.Summary);
                foreach (var p in report.Problems) Console.WriteLine($"  #{p.Sequence} {p.Kind}: {p.Message}");
                Environment.ExitCode = report.Intact ? 0 : 3;
                break;
            case "schema-script":
                // Developer aid for writing migrations by hand: the DDL EF Core expects for every module on this provider.
                foreach (var type in new[] { typeof(Meridian.Audit.AuditModule), typeof(Meridian.Identity.IdentityModule), typeof(Meridian.Patients.PatientsModule),
                             typeof(Meridian.Fhir.FhirModule), typeof(Meridian.Scheduling.SchedulingModule), typeof(Meridian.Messaging.MessagingModule) })
                    foreach (var ctxType in type.Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(DbContext)) && !t.IsAbstract))
                    {
                        var ctx = (DbContext)sp.GetRequiredService(ctxType);
                        Console.WriteLine($"-- {ctxType.Name}");
                        Console.WriteLine(ctx.Database.GenerateCreateScript());
                    }
                break;
            default:
                Console.Error.WriteLine($"Unknown command '{command}'. Commands: migrate, create-admin --email E [--name N] [--password P], verify-audit, schema-script.");
                Environment.ExitCode = 2;
                break;
        }
        return true;
    }

    private static Dictionary<string, string> ParseOptions(IEnumerable<string> args)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? key = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal)) { key = a[2..]; result[key] = ""; }
            else if (key is not null) { result[key] = a; key = null; }
        }
        return result;
    }

    private static string Require(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"--{name} is required.");

    private static string ReadSecret(string prompt)
    {
        Console.Write(prompt);
        if (Console.IsInputRedirected) return Console.ReadLine() ?? "";
        var chars = new List<char>();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (chars.Count > 0) chars.RemoveAt(chars.Count - 1); }
            else chars.Add(key.KeyChar);
        }
        Console.WriteLine();
        return new string(chars.ToArray());
    }
}
