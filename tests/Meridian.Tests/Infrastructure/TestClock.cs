namespace Meridian.Tests.Infrastructure;

/// <summary>A clock the tests move by hand (idle timeouts, token expiry, audit date filters).</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    private readonly Lock _gate = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate) _now += by;
    }

    public void Set(DateTimeOffset now)
    {
        lock (_gate) _now = now;
    }
}
