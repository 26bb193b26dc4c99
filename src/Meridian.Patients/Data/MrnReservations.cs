using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Patients.Data;

/// <summary>
/// Hands out one MRN before a registration's write transaction begins, so the patient's FHIR projection can be rendered
/// outside SQLite's single write turn (decision 0012). Numbers come in blocks of <see cref="Block"/>, handed out from
/// memory: on SQLite reserved from the counter row in one small write, on PostgreSQL from the <c>patients.mrn</c>
/// sequence (one round trip per block instead of per registration). Numbers of a block not used when the process stops
/// are skipped, as a sequence skips the numbers of rolled-back transactions (an MRN is an identifier, not a count). The
/// counter row or sequence stays the source of truth, so two processes on one database never hand out the same number.
/// </summary>
internal sealed class MrnReservations(DatabaseOptions options, WriteTransactions writes)
{
    public const int Block = 16;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _refill = new(1, 1);
    private readonly Queue<long> _reserved = new();

    public async Task<string> NextAsync(PatientsDbContext db, CancellationToken ct)
    {
        while (true)
        {
            lock (_lock)
                if (_reserved.TryDequeue(out var number)) return PatientStore.FormatMrn(number);
            await _refill.WaitAsync(ct);
            try
            {
                lock (_lock)
                    if (_reserved.Count > 0) continue; // another caller refilled while this one waited
                var block = options.Provider == DatabaseProvider.PostgreSql ? await ReservePostgreSqlAsync(db, ct) : await ReserveSqliteAsync(db, ct);
                lock (_lock)
                    foreach (var n in block) _reserved.Enqueue(n);
            }
            finally
            {
                _refill.Release();
            }
        }
    }

    private async Task<IReadOnlyList<long>> ReserveSqliteAsync(PatientsDbContext db, CancellationToken ct)
    {
        await using var tx = await writes.BeginAsync(db, ct);
        var numbers = await PatientStore.ReserveSqliteMrnsAsync(tx.Transaction, Block, ct);
        // Handed out only once committed: a block whose commit failed is never used.
        await tx.CommitAsync(ct);
        return numbers;
    }

    private static async Task<IReadOnlyList<long>> ReservePostgreSqlAsync(PatientsDbContext db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // Outside any transaction: the numbers are this process's as soon as nextval returns them. Other hosts drawing
            // at the same moment get other numbers (the block need not be consecutive).
            return await PatientStore.DrawPostgreSqlMrnsAsync(db.Database.GetDbConnection(), null, Block, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
