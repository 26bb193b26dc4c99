using Meridian.Patients.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Domain;
using Microsoft.EntityFrameworkCore;

namespace Meridian.Scheduling.Data;

/// <summary>The module's read surface for other modules. Not audited here: the caller knows whether the read is user-visible.</summary>
internal sealed class AppointmentBook(SchedulingDbContext db) : IAppointmentBook
{
    public async Task<AppointmentSummary?> FindAsync(AppointmentId id, CancellationToken ct = default)
    {
        var a = await db.Appointments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id.Value, ct);
        return a is null ? null : (await SummariesAsync([a], ct))[0];
    }

    public async Task<IReadOnlyList<AppointmentSummary>> ForPatientAsync(PatientId patient, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        var (f, t) = (from.UtcDateTime, to.UtcDateTime);
        var rows = await db.Appointments.AsNoTracking().Where(a => a.PatientId == patient.Value && a.StartUtc >= f && a.StartUtc < t)
            .OrderBy(a => a.StartUtc).ToListAsync(ct);
        return await SummariesAsync(rows, ct);
    }

    private async Task<List<AppointmentSummary>> SummariesAsync(List<Appointment> rows, CancellationToken ct)
    {
        var typeIds = rows.Select(r => r.AppointmentTypeId).Distinct().ToList();
        var types = await db.AppointmentTypes.AsNoTracking().Where(x => typeIds.Contains(x.Id)).ToDictionaryAsync(x => x.Id, x => x.Name, ct);
        return rows.Select(a => new AppointmentSummary(new AppointmentId(a.Id), new PatientId(a.PatientId), new ProviderId(a.ProviderId),
            new LocationId(a.LocationId), types[a.AppointmentTypeId], new DateTimeOffset(a.StartUtc), new DateTimeOffset(a.EndUtc), a.State, a.CopayCollected)).ToList();
    }
}
