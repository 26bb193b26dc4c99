using Meridian.Patients.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Scheduling.Features.Eligibility;

/// <summary>
/// The evening before: once a location's local clock passes <see cref="EligibilityOptions.NightlyHour"/>, checks
/// tomorrow's scheduled appointments there. Hourly and idempotent (appointments with a recent answer are skipped), so a
/// restart or a second instance does no harm.
/// </summary>
internal sealed class NightlyEligibilityRun(IServiceScopeFactory scopes, TimeProvider time, IOptions<EligibilityOptions> options, ILogger<NightlyEligibilityRun> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try { await RunOnceAsync(stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Nightly eligibility run failed; it retries in an hour."); }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulingDbContext>();
        var handler = scope.ServiceProvider.GetRequiredService<CheckEligibilityHandler>();
        var total = 0;
        foreach (var location in await db.Locations.AsNoTracking().Where(l => l.Active).ToListAsync(ct))
        {
            var zone = Zones.Get(location.TimeZone);
            var now = time.GetUtcNow().UtcDateTime;
            if (Zones.LocalMinuteOfDay(now, zone) < options.Value.NightlyHour * 60) continue;
            total += await handler.ForDayAsync(Zones.LocalDate(now, zone).AddDays(1), location.Id, ct);
        }
        if (total > 0) log.LogInformation("Nightly eligibility run checked {Count} appointment(s) for tomorrow.", total);
        return total;
    }
}

/// <summary>The chart header shows the latest eligibility answer and the next appointment.</summary>
internal sealed class SchedulingChartHeader(SchedulingDbContext db, TimeProvider time) : IChartHeaderContributor
{
    public async Task ContributeAsync(PatientId patient, ChartHeaderBuilder header, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var next = await db.Appointments.AsNoTracking()
            .Where(a => a.PatientId == patient.Value && a.StartUtc >= now && a.Status == "Scheduled").OrderBy(a => a.StartUtc).FirstOrDefaultAsync(ct);
        if (next is not null)
        {
            var location = await db.Locations.AsNoTracking().FirstAsync(l => l.Id == next.LocationId, ct);
            var provider = await db.Providers.AsNoTracking().FirstAsync(p => p.Id == next.ProviderId, ct);
            header.Items.Add(new("Next appointment", $"{Zones.ToLocal(next.StartUtc, Zones.Get(location.TimeZone)):ddd d MMM yyyy HH:mm} with {provider.Name}"));
        }
        var check = await db.EligibilityChecks.AsNoTracking().Where(c => c.PatientId == patient.Value && c.Status != "Pending")
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);
        if (check is null) return;
        var copay = check.Copay is { } c ? $", copay ${c:0.00}" : "";
        header.Items.Add(new("Eligibility", $"{check.Status} — {check.PayerName}{copay} (checked {check.AnsweredAt ?? check.RequestedAt:yyyy-MM-dd})"));
        if (check.Status is "Inactive" or "Rejected" or "Error")
            header.Alerts.Add(new ChartAlert("eligibility", "warning",
                $"Last eligibility check: {check.Status}. {check.Messages?.Split('\n').FirstOrDefault()}".Trim(), "Scheduling"));
    }
}
