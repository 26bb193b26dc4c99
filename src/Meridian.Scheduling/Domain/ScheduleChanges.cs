using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Meridian.Scheduling.Domain;

/// <summary>A committed change to an appointment, for live screens (flow board, calendars).</summary>
internal sealed record ScheduleChange(Guid AppointmentId, Guid LocationId, Guid ProviderId, string Action, DateTime StartUtc, DateTime At);

/// <summary>
/// In-process fan-out of committed schedule changes to live screens. Published only after the transaction commits, so a
/// watcher never sees a change that rolled back. One host serves a practice (decision 0001); each subscriber gets a
/// bounded queue and a slow one loses old notices, never blocks a booking (screens re-read the board on every notice).
/// </summary>
internal sealed class ScheduleChanges
{
    private readonly ConcurrentDictionary<Guid, Channel<ScheduleChange>> _subscribers = new();

    public void Publish(ScheduleChange change)
    {
        foreach (var channel in _subscribers.Values) channel.Writer.TryWrite(change);
    }

    public (Guid Id, ChannelReader<ScheduleChange> Reader) Subscribe()
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<ScheduleChange>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        _subscribers[id] = channel;
        return (id, channel.Reader);
    }

    public void Unsubscribe(Guid id)
    {
        if (_subscribers.TryRemove(id, out var channel)) channel.Writer.TryComplete();
    }
}

/// <summary>
/// Told, inside the transaction that freed it, that an appointment's time became free (cancellation, no-show before the
/// start, reschedule away). The waitlist implements it to offer the time to waiting patients; it runs in the same
/// transaction so the opening is recorded exactly when the cancellation commits.
/// </summary>
internal interface IOpeningListener
{
    Task OnTimeFreedAsync(Appointment freed, DateTime startUtc, DateTime endUtc, System.Data.Common.DbTransaction transaction, CancellationToken ct);
}
