using System.Data.Common;
using Meridian.Messaging.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Features.Waitlist;

/// <summary>
/// Records freed time as an opening, in the cancellation's own transaction: the opening exists exactly when the
/// cancellation commits, and the offerer (which does the slower matching and messaging) picks it up on its next pass.
/// </summary>
internal sealed class RecordOpening(SchedulingDbContext db, TimeProvider time, WaitlistSignal signal) : IOpeningListener
{
    public async Task OnTimeFreedAsync(Appointment freed, DateTime startUtc, DateTime endUtc, DbTransaction transaction, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (startUtc <= now) return;
        await using var context = SchedulingContexts.On(db, transaction);
        context.Openings.Add(new FreedTime
        {
            Id = TypedIds.NewGuid(time), ProviderId = freed.ProviderId, LocationId = freed.LocationId, StartUtc = startUtc, EndUtc = endUtc,
            SourceAppointmentId = freed.Id, SourcePatientId = freed.PatientId, CreatedAt = now, UpdatedAt = now,
        });
        await context.SaveChangesAsync(ct);
        signal.Nudge();
    }
}

/// <summary>
/// A cancelled or moved appointment's reminders that have not gone out are cancelled with it (correlation keys
/// reminder:{appointmentId}:…); a moved appointment gets fresh reminders under its new version.
/// </summary>
internal sealed class CancelPendingReminders(IMessageOutbox outbox) : IOpeningListener
{
    public Task OnTimeFreedAsync(Appointment freed, DateTime startUtc, DateTime endUtc, DbTransaction transaction, CancellationToken ct) =>
        outbox.CancelAsync($"reminder:{freed.Id:D}:", transaction, ct);
}

/// <summary>Wakes the offerer when an opening is recorded, so an offer goes out within seconds rather than a poll later.</summary>
internal sealed class WaitlistSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Nudge()
    {
        try { _signal.Release(); }
        catch (SemaphoreFullException) { /* already nudged: one wake-up covers every opening recorded meanwhile */ }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct) => await _signal.WaitAsync(timeout, ct);
}

internal static class SchedulingContexts
{
    /// <summary>
    /// A second context on the caller's connection and transaction: the listener's rows commit with the caller's work
    /// without disturbing the caller's change tracker.
    /// </summary>
    public static SchedulingDbContext On(SchedulingDbContext db, DbTransaction transaction)
    {
        var options = new DbContextOptionsBuilder<SchedulingDbContext>();
        if (db.Database.IsSqlite()) options.UseSqlite(transaction.Connection!);
        else options.UseNpgsql(transaction.Connection!);
        var context = new SchedulingDbContext(options.Options);
        context.Database.UseTransaction(transaction);
        return context;
    }
}
