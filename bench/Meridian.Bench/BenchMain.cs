using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Meridian.Bench;
using Meridian.Patients.Data;
using Microsoft.EntityFrameworkCore;
using Meridian.Patients.Demo;
using Meridian.Patients.Features.SearchPatients;
using Meridian.SharedKernel.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Bench;

internal static class BenchMain
{
    public static async Task Main(string[] args)
    {

        // Meridian benchmark: one command, figures side by side in one run on this machine.
        //   dotnet run -c Release --project bench/Meridian.Bench -- [--patients 100000] [--provider Sqlite|PostgreSQL] [--seconds 10]
        var options = BenchOptions.Parse(args);
        Console.WriteLine($"Meridian benchmark — {options.Patients:N0} patients on {options.Provider}, {Environment.ProcessorCount} cores, {options.Seconds} s per throughput run");

        Load.WarmUp = TimeSpan.FromSeconds(options.WarmUpSeconds);
        await using var app = await BenchHost.StartAsync(options);
        var results = new List<(string Name, string Value, string Budget, bool? Met)>();

        if (args.Contains("--suite") && args.SkipWhile(a => a != "--suite").Skip(1).FirstOrDefault() == "scheduling")
        {
            var target = int.Parse(args.SkipWhile(a => a != "--appointments").Skip(1).FirstOrDefault() ?? "300000", System.Globalization.CultureInfo.InvariantCulture);
            await SchedulingBench.RunAsync(options, app, results, target);
            Print(results);
            return;
        }

        // 1. Seed.
        var sw = Stopwatch.StartNew();
        await app.WithScopeAsync(sp => sp.GetRequiredService<PatientDemoSeeder>().SeedAsync(options.Patients, seed: 42, batchSize: 2_000));
        sw.Stop();
        Console.WriteLine($"  seeded in {sw.Elapsed.TotalSeconds:N1} s");
        results.Add(("Seed patients (with coverage + FHIR projection)", $"{options.Patients / sw.Elapsed.TotalSeconds:N0} patients/s ({sw.Elapsed.TotalSeconds:N1} s)", "", null));

        // 2. Patient search by name prefix, in-process through the real handler (with its audit record).
        // A random sample of seeded patients: their family-name prefixes drive the search, their ids the FHIR reads.
        var sample = await app.WithScopeAsync(async sp => await sp.GetRequiredService<PatientsDbContext>().Patients.AsNoTracking()
            .OrderBy(p => p.Mrn).Where((p) => p.Mrn.EndsWith("7")).Take(1_000).Select(p => new { p.Id, p.FamilyName }).ToListAsync());
        var prefixes = sample.Select(p => p.FamilyName.Length >= 3 ? p.FamilyName[..3] : p.FamilyName).Distinct().ToList();
        if (options.Runs("search"))
        {
        var latencies = new List<double>();
        for (var i = 0; i < 2_000 + 200; i++)
        {
            var prefix = prefixes[i % prefixes.Count];
            var t = Stopwatch.GetTimestamp();
            await app.AsStaffAsync("FrontDesk", sp => sp.GetRequiredService<SearchPatientsHandler>().HandleAsync(new PatientSearchQuery(Family: prefix, Count: 20)));
            if (i >= 200) latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds); // first 200 warm up
        }
        latencies.Sort();
        var p50 = latencies[latencies.Count / 2];
        var p95 = latencies[(int)(latencies.Count * 0.95)];
        Console.WriteLine($"  search p50 {p50:N2} ms, p95 {p95:N2} ms");
        results.Add(("Patient search by family-name prefix, in-process (p50 / p95)", $"{p50:N2} ms / {p95:N2} ms", "p95 ≤ 20 ms", p95 <= 20));
        }

        // 3. FHIR Patient read by id at 8 concurrent clients, side by side with a bare Kestrel endpoint serving the same bytes.
        var ids = sample.Select(p => p.Id.ToString()).ToList();
        if (options.Runs("read"))
        {
        var token = await app.BackendTokenAsync();
        using var fhirClient = BenchHost.NewClient(app.BaseAddress, token);
        var bodies = new Dictionary<string, byte[]>();
        foreach (var id in ids)
        {
            using var r = await fhirClient.GetAsync($"/fhir/Patient/{id}");
            r.EnsureSuccessStatusCode();
            bodies[id] = await r.Content.ReadAsByteArrayAsync();
        }
        await using var bare = await BareKestrel.StartAsync(bodies);
        using var bareClient = BenchHost.NewClient(bare.BaseAddress, token);

        var fhirRate = await Load.RunAsync(fhirClient, i => $"/fhir/Patient/{ids[i % ids.Count]}", concurrency: 8, TimeSpan.FromSeconds(options.Seconds));
        var bareRate = await Load.RunAsync(bareClient, i => $"/fhir/Patient/{ids[i % ids.Count]}", concurrency: 8, TimeSpan.FromSeconds(options.Seconds));
        Console.WriteLine($"  FHIR read {fhirRate.PerSecond:N0}/s, bare {bareRate.PerSecond:N0}/s");
        results.Add(("FHIR Patient read by id, 8 concurrent clients (audited)", fhirRate.ToString(), "≥ 5,000 req/s", fhirRate.PerSecond >= 5_000));
        results.Add(("Bare Kestrel endpoint, same bytes, same load", bareRate.ToString(), "", null));
        results.Add(("Ratio Meridian FHIR read / bare Kestrel", $"{fhirRate.PerSecond / bareRate.PerSecond:P0}", "", null));
        }

        // 4. Registrations per second over HTTP (validation, duplicate check, MRN, FHIR projection, audit record in the same transaction).
        if (options.Runs("audit"))
        {
            // The audit append alone, as 8 concurrent readers see it: group-committed, returns once committed.
            var appended = 0L;
            var stopAt = Stopwatch.GetTimestamp() + options.Seconds * Stopwatch.Frequency;
            var auditStart = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                await using var scope = app.Services.CreateAsyncScope();
                var trail = scope.ServiceProvider.GetRequiredService<Meridian.Audit.Contracts.IAuditTrail>();
                while (Stopwatch.GetTimestamp() < stopAt)
                {
                    await trail.RecordAsync(new Meridian.Audit.Contracts.AuditEntry(Meridian.Audit.Contracts.AuditAction.Read, "Patient", "bench", "bench"));
                    Interlocked.Increment(ref appended);
                }
            })));
            var auditRate = appended / Stopwatch.GetElapsedTime(auditStart).TotalSeconds;
            Console.WriteLine($"  audit appends {auditRate:N0}/s");
            results.Add(("Audit appends alone, 8 concurrent callers (group commit)", $"{auditRate:N0}/s", "", null));
        }

        if (options.Runs("register"))
        {
        var auditBefore = await app.AuditCountAsync();
        var writes = app.Services.GetRequiredService<WriteTransactions>();
        var groupsBefore = writes.GroupStats();
        var turnsBefore = SqliteWriteGate.Stats();
        using var frontDesk = BenchHost.NewClient(app.BaseAddress, await app.StaffTokenAsync("FrontDesk"));
        var registrations = await Load.RunPostAsync(frontDesk, "/api/patients", Registrations.Body, concurrency: 8, TimeSpan.FromSeconds(options.Seconds));
        var auditAfter = await app.AuditCountAsync();
        var (commits, members) = writes.GroupStats();
        var turnsAfter = SqliteWriteGate.Stats();
        if (commits > groupsBefore.Commits)
        {
            // SQLite's serial section: how many writes each commit carried and how long each write turn was held.
            var turns = turnsAfter.Turns - turnsBefore.Turns;
            var held = (turnsAfter.Held - turnsBefore.Held) / Math.Max(1, turns);
            results.Add(("  SQLite group commit", $"{(double)(members - groupsBefore.Members) / (commits - groupsBefore.Commits):N1} writes per commit; write turn held {held.TotalMilliseconds:N2} ms on average ({turns:N0} turns)", "", null));
        }
        results.Add(("Patient registrations over HTTP, 8 concurrent clients", $"{registrations}; {(double)(auditAfter - auditBefore) / (registrations.Count + registrations.WarmUpCount):N1} audit records per registration", "≥ 500/s", registrations.PerSecond >= 500));

        }

        var chain = await app.VerifyAuditAsync();
        results.Add(("Audit chain after the run", chain, "", null));

        Print(results);
    }

    private static void Print(List<(string Name, string Value, string Budget, bool? Met)> results)
    {
        Console.WriteLine();
        var width = results.Max(r => r.Name.Length);
        foreach (var (name, value, budget, met) in results)
            Console.WriteLine($"{name.PadRight(width)}  {value}{(budget.Length > 0 ? $"   [budget {budget}: {(met == true ? "met" : "NOT met")}]" : "")}");
    }
}
