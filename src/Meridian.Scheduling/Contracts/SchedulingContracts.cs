using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;

namespace Meridian.Scheduling.Contracts;

/// <summary>An appointment's identity across Meridian (billing's charges and the FHIR Appointment id carry it).</summary>
[JsonConverter(typeof(TypedIdJsonConverter<AppointmentId>))]
public readonly record struct AppointmentId(Guid Value) : ITypedId
{
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(TypedIdJsonConverter<ProviderId>))]
public readonly record struct ProviderId(Guid Value) : ITypedId
{
    public override string ToString() => Value.ToString();
}

[JsonConverter(typeof(TypedIdJsonConverter<LocationId>))]
public readonly record struct LocationId(Guid Value) : ITypedId
{
    public override string ToString() => Value.ToString();
}

/// <summary>Typed ids travel in JSON as their plain Guid text.</summary>
public sealed class TypedIdJsonConverter<T> : JsonConverter<T> where T : struct, ITypedId
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        (T)Activator.CreateInstance(typeof(T), reader.GetGuid())!;
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

/// <summary>
/// Where an appointment stands. Scheduled → Arrived → Roomed → WithProvider → CheckingOut → Done is the day's flow
/// (the flow board); Cancelled and NoShow end it. FHIR Appointment.status maps these onto booked | arrived | checked-in |
/// fulfilled | cancelled | noshow.
/// </summary>
public enum AppointmentStatus
{
    Scheduled,
    Arrived,
    Roomed,
    WithProvider,
    CheckingOut,
    Done,
    Cancelled,
    NoShow,
}

/// <summary>An appointment as other modules (billing, the portal) see it.</summary>
public sealed record AppointmentSummary(
    AppointmentId Id,
    PatientId PatientId,
    ProviderId ProviderId,
    LocationId LocationId,
    string AppointmentType,
    DateTimeOffset Start,
    DateTimeOffset End,
    AppointmentStatus Status,
    decimal? CopayCollected);

/// <summary>The scheduling module's read surface for other modules.</summary>
public interface IAppointmentBook
{
    Task<AppointmentSummary?> FindAsync(AppointmentId id, CancellationToken ct = default);
    Task<IReadOnlyList<AppointmentSummary>> ForPatientAsync(PatientId patient, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default);
}
