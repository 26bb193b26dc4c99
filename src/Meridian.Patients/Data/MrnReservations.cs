using System.Globalization;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Patients.Data;

/// <summary>
/// Hands out one MRN before a registration's write transaction begins, so the patient's FHIR projection can be rendered
/// outside SQLite's single write turn (decision 0012). PostgreSQL: the <c>patients.mrn</c> sequence, which needs no
/// transaction. SQLite: a block of <see cref="Block"/> numbers reserved from the counter row in one small write and
/// handed out from memory; numbers of a block not used when the process stops are skipped, as a PostgreSQL sequence
/// skips the numbers of rolled-back transactions (an MRN is an identifier, not a count). The counter row stays the
/// source of truth, so two processes on one SQLite file never hand out the same number.
/// </summary>
internal sealed class MrnReservations(DatabaseOptions options, WriteTransactions writes)
{
    public const int Block = 16;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _refill = new(1, 1);
    private long _next = 1, _last;

    public async Task<string> NextAsync(PatientsDbContext db, CancellationToken ct)
    {
        if (options.Provider == DatabaseProvider.PostgreSql)
        {
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await using var cmd = connection.CreateCommand();
                cmd.CommandText = "SELECT nextval('patients.mrn')";
                return PatientStore.FormatMrn(Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture));
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
        while (true)
        {
            lock (_lock)
                if (_next <= _last) return PatientStore.FormatMrn(_next++);
            await _refill.WaitAsync(ct);
            try
            {
                lock (_lock)
                    if (_next <= _last) continue; // another caller refilled while this one waited
                long last;
                await using (var tx = await writes.BeginAsync(db, ct))
                {
                    last = await PatientStore.ReserveSqliteMrnsAsync(tx.Transaction, Block, ct);
                    // Handed out only once committed: a block whose commit failed is never used.
                    await tx.CommitAsync(ct);
                }
                lock (_lock)
                {
                    _next = last - Block + 1;
                    _last = last;
                }
            }
            finally
            {
                _refill.Release();
            }
        }
    }
}
