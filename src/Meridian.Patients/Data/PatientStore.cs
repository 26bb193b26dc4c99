using System.Data.Common;
using System.Globalization;
using Meridian.Patients.Contracts;
using Meridian.Patients.Domain;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;
using Meridian.SharedKernel.Security;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Patients.Data;

/// <summary>What every Patients handler needs besides its own logic: permission checks, MRNs, loading, and observers.</summary>
internal sealed class PatientStore(PatientsDbContext db, DatabaseOptions options, ICurrentActor actor, IEnumerable<IPatientChangeObserver> observers)
{
    public const string MrnCounter = "mrn";

    public PatientsDbContext Db => db;
    public ICurrentActor Actor => actor;

    /// <summary>
    /// Handlers check permissions themselves (not only the endpoint policy) because Blazor pages and other modules call
    /// them directly.
    /// </summary>
    public void Require(string permission)
    {
        if (!actor.IsAuthenticated) throw new ForbiddenException("Sign in to access patient records.");
        if (!actor.Has(permission)) throw new ForbiddenException($"This action requires the '{permission}' permission.");
    }

    /// <summary>
    /// Hands out <paramref name="count"/> MRNs, unique under concurrency: on PostgreSQL from the <c>patients.mrn</c> sequence,
    /// on SQLite from the counter row updated in the caller's transaction (SQLite has a single writer anyway).
    /// </summary>
    public async Task<IReadOnlyList<string>> AllocateMrnsAsync(DbTransaction tx, int count, CancellationToken ct)
    {
        var numbers = options.Provider == DatabaseProvider.PostgreSql
            ? await DrawPostgreSqlMrnsAsync(tx.Connection!, tx, count, ct)
            : await ReserveSqliteMrnsAsync(tx, count, ct);
        return numbers.Select(FormatMrn).ToList();
    }

    /// <summary>
    /// PostgreSQL: <paramref name="count"/> numbers from the <c>patients.mrn</c> sequence. A sequence hands them out without a
    /// row lock and needs no transaction, so concurrent registrations never queue here; the price is that numbers not used
    /// (a rolled-back registration) are skipped — an MRN is an identifier, not a count.
    /// </summary>
    public static async Task<IReadOnlyList<long>> DrawPostgreSqlMrnsAsync(DbConnection connection, DbTransaction? tx, int count, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT nextval('patients.mrn') FROM generate_series(1, @n)";
        MigrationRunner.AddParameter(cmd, "@n", (long)count);
        var numbers = new List<long>(count);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) numbers.Add(reader.GetInt64(0));
        return numbers;
    }

    /// <summary>SQLite: moves the MRN counter on by <paramref name="count"/> in <paramref name="tx"/> and returns the numbers reserved.</summary>
    public static async Task<IReadOnlyList<long>> ReserveSqliteMrnsAsync(DbTransaction tx, int count, CancellationToken ct)
    {
        await using var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"UPDATE {ModuleDatabase.QualifiedTable(DatabaseProvider.Sqlite, PatientsDbContext.Schema, "counter")} " +
                          "SET last_value = last_value + @n WHERE name = @name RETURNING last_value";
        MigrationRunner.AddParameter(cmd, "@n", (long)count);
        MigrationRunner.AddParameter(cmd, "@name", MrnCounter);
        var last = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException("The MRN counter row is missing; run the migrations."), CultureInfo.InvariantCulture);
        return Enumerable.Range(0, count).Select(i => last - count + 1 + i).ToList();
    }

    /// <summary>"M" and seven digits: short enough to read over the phone, wide enough for ten million patients.</summary>
    public static string FormatMrn(long value) => "M" + value.ToString("D7", CultureInfo.InvariantCulture);

    public Task<Patient?> LoadAsync(Guid id, bool tracked, CancellationToken ct)
    {
        var q = db.Patients.Include(p => p.Coverages).Include(p => p.Phones).AsSplitQuery();
        return (tracked ? q : q.AsNoTracking()).FirstOrDefaultAsync(p => p.Id == id, ct);
    }

    /// <summary>
    /// A new patient's notifications, prepared now (observers render their projections) and run by the returned step
    /// inside the write transaction (<see cref="IPatientChangeObserver.PrepareRegistration"/>).
    /// </summary>
    public Func<DbTransaction, CancellationToken, Task> PrepareRegistration(PatientSnapshot patient)
    {
        var steps = observers.Select(o => o.PrepareRegistration(patient)).ToList();
        return async (tx, ct) =>
        {
            foreach (var step in steps) await step(tx, ct);
        };
    }

    public async Task NotifyAsync(PatientSnapshot patient, DbTransaction tx, CancellationToken ct)
    {
        foreach (var o in observers) await o.OnPatientSavedAsync(patient, tx, ct);
    }

    public async Task NotifyAsync(IReadOnlyList<PatientSnapshot> patients, DbTransaction tx, CancellationToken ct)
    {
        foreach (var o in observers) await o.OnPatientsSavedAsync(patients, tx, ct);
    }

    public async Task NotifyAsync(CoverageSnapshot coverage, DbTransaction tx, CancellationToken ct)
    {
        foreach (var o in observers) await o.OnCoverageSavedAsync(coverage, tx, ct);
    }

    /// <summary>True when a save failed on the unique (patient, rank) index of active coverages.</summary>
    public static bool IsUniqueViolation(DbUpdateException e) =>
        e.InnerException switch
        {
            Npgsql.PostgresException pg => pg.SqlState == "23505",
            Microsoft.Data.Sqlite.SqliteException s => s.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
            _ => false,
        };

    public static PreconditionFailedException Stale(string what, int? current = null) =>
        new($"The {what} was changed by someone else{(current is { } c ? $" (it is now at version {c})" : "")}. Reload it and apply your changes again.");
}
