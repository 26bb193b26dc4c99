using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meridian.SharedKernel;

namespace Meridian.Patients.Contracts;

/// <summary>The patient's identity across Meridian. Other modules store this id, never a foreign key.</summary>
[JsonConverter(typeof(PatientIdJsonConverter))]
public readonly record struct PatientId(Guid Value) : ITypedId
{
    public override string ToString() => Value.ToString();
    public static PatientId? TryParse(string? text) => TypedIds.TryParse(text) is { } g ? new PatientId(g) : null;
}

[JsonConverter(typeof(CoverageIdJsonConverter))]
public readonly record struct CoverageId(Guid Value) : ITypedId
{
    public override string ToString() => Value.ToString();
    public static CoverageId? TryParse(string? text) => TypedIds.TryParse(text) is { } g ? new CoverageId(g) : null;
}

/// <summary>Typed ids travel in JSON as their plain Guid text, as in URLs ("id": "0190…"), not as {"value": …}.</summary>
public sealed class PatientIdJsonConverter : JsonConverter<PatientId>
{
    public override PatientId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetGuid());
    public override void Write(Utf8JsonWriter writer, PatientId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

public sealed class CoverageIdJsonConverter : JsonConverter<CoverageId>
{
    public override CoverageId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetGuid());
    public override void Write(Utf8JsonWriter writer, CoverageId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

/// <summary>FHIR HumanName. Use: official (legal) | usual (preferred) | nickname | old | maiden.</summary>
public sealed record PersonName(string Family, IReadOnlyList<string> Given, string? Prefix = null, string? Suffix = null, string Use = "official")
{
    public string Display => string.Join(' ', Given.Append(Family).Where(s => !string.IsNullOrWhiteSpace(s)));
}

/// <summary>FHIR Address (US Core: line, city, state, postalCode). Use: home | work | temp | old | billing.</summary>
public sealed record PostalAddress(IReadOnlyList<string> Lines, string City, string? State, string? PostalCode,
    string Country = "US", string Use = "home", DateOnly? PeriodStart = null, DateOnly? PeriodEnd = null);

/// <summary>FHIR ContactPoint. System: phone | email | sms | other; Use: home | work | mobile | temp | old; Rank: 1 = preferred.</summary>
public sealed record ContactPoint(string System, string Value, string? Use = null, int? Rank = null);

/// <summary>How the practice may contact the patient (reminders and messages read this).</summary>
public sealed record ContactPreferences(string? PreferredChannel = null, bool AllowSms = true, bool AllowEmail = true,
    bool AllowVoicemail = true, bool AllowPortal = true);

/// <summary>An emergency contact. Relationship is a code from HL7 v3 RoleCode / v2-0131 (e.g. C = emergency contact, SPS = spouse).</summary>
public sealed record EmergencyContact(string Name, Coding? Relationship, string? Phone, string? Email);

/// <summary>
/// The person financially responsible. Relationship "self" means the patient is their own guarantor and the
/// name/address fields are empty.
/// </summary>
public sealed record Guarantor(string Relationship, PersonName? Name = null, DateOnly? BirthDate = null,
    PostalAddress? Address = null, string? Phone = null);

/// <summary>
/// An insurance coverage. Rank 1 = primary, 2 = secondary, 3 = tertiary (FHIR Coverage.order).
/// SubscriberRelationship uses http://terminology.hl7.org/CodeSystem/subscriber-relationship (self | spouse | child | parent | common | other | injured).
/// </summary>
public sealed record CoverageDetails(
    int Rank,
    string PayerName,
    string? PayerId,
    string? PlanName,
    string MemberId,
    string? GroupNumber,
    string SubscriberRelationship,
    PersonName? Subscriber,
    DateOnly? SubscriberBirthDate,
    DateOnly? EffectiveStart,
    DateOnly? EffectiveEnd);

public sealed record CoverageSnapshot(CoverageId Id, PatientId PatientId, int Version, DateTimeOffset LastUpdated, bool Active, CoverageDetails Details);

/// <summary>
/// The registration data of a patient, as US Core 6.1 Patient and USCDI v3 define it.
/// Gender = FHIR administrative gender (male | female | other | unknown).
/// BirthSex: US Core birth sex (F | M | ASKU | UNK).
/// GenderIdentity: US Core 6.1 gender identity (SNOMED CT / NullFlavor coding).
/// Race / Ethnicity: CDC Race &amp; Ethnicity codes (urn:oid:2.16.840.1.113883.6.238), OMB categories first.
/// PreferredLanguage: BCP-47 (urn:ietf:bcp:47), e.g. "en", "es".
/// </summary>
public sealed record PatientDetails(
    PersonName LegalName,
    DateOnly BirthDate,
    string Gender,
    PersonName? PreferredName = null,
    string? BirthSex = null,
    Coding? GenderIdentity = null,
    IReadOnlyList<Coding>? Race = null,
    string? RaceText = null,
    IReadOnlyList<Coding>? Ethnicity = null,
    string? EthnicityText = null,
    Coding? PreferredLanguage = null,
    IReadOnlyList<PostalAddress>? Addresses = null,
    IReadOnlyList<ContactPoint>? Telecom = null,
    ContactPreferences? ContactPreferences = null,
    EmergencyContact? EmergencyContact = null,
    Guarantor? Guarantor = null,
    DateOnly? DeceasedDate = null);

/// <summary>A patient as other modules see it. Version increments on every change (FHIR meta.versionId, ETag).</summary>
public sealed record PatientSnapshot(
    PatientId Id,
    string Mrn,
    int Version,
    DateTimeOffset LastUpdated,
    bool Active,
    PatientId? MergedInto,
    PatientDetails Details,
    IReadOnlyList<CoverageSnapshot> Coverages);

/// <summary>
/// The Patients module's public surface. Writes are authorized and audited inside the module; callers pass the
/// version they read for optimistic concurrency (null = no check). Validation failures throw ValidationFailedException,
/// stale versions PreconditionFailedException, likely duplicates DuplicatePatientException (unless allowed).
/// </summary>
public interface IPatientDirectory
{
    Task<PatientSnapshot?> FindAsync(PatientId id, CancellationToken ct = default);
    Task<IReadOnlyList<PatientSnapshot>> FindManyAsync(IReadOnlyCollection<PatientId> ids, CancellationToken ct = default);
    /// <summary>Ids of current (active, unmerged) patients in id order, for batch work such as demo schedules.</summary>
    Task<IReadOnlyList<PatientId>> ListIdsAsync(int max, CancellationToken ct = default);
    Task<PatientSnapshot> RegisterAsync(PatientDetails details, IReadOnlyList<CoverageDetails> coverages, bool allowPossibleDuplicate, CancellationToken ct = default);
    Task<PatientSnapshot> UpdateAsync(PatientId id, PatientDetails details, int? expectedVersion, CancellationToken ct = default);
    Task<CoverageSnapshot?> FindCoverageAsync(CoverageId id, CancellationToken ct = default);
    Task<CoverageSnapshot> AddCoverageAsync(PatientId patient, CoverageDetails details, CancellationToken ct = default);
    Task<CoverageSnapshot> UpdateCoverageAsync(CoverageId id, CoverageDetails details, int? expectedVersion, CancellationToken ct = default);
}

public sealed class DuplicatePatientException(IReadOnlyList<PossibleDuplicate> candidates)
    : SharedKernel.Errors.MeridianException("This patient may already be registered. Open the existing record, or register anyway.")
{
    public IReadOnlyList<PossibleDuplicate> Candidates { get; } = candidates;
    public override int StatusCode => 409;
    public override IReadOnlyDictionary<string, object?>? Extensions => new Dictionary<string, object?> { ["candidates"] = Candidates };
}

public sealed record PossibleDuplicate(PatientId Id, string Mrn, string Name, DateOnly BirthDate, string Reason);

/// <summary>
/// Called inside the transaction that changed a patient or coverage, so that projections (the FHIR store and its
/// search index) change atomically with the record. Implemented by other modules, registered in DI.
/// </summary>
public interface IPatientChangeObserver
{
    /// <summary>
    /// The patient was registered or changed. <see cref="PatientSnapshot.Coverages"/> holds its coverages as they are now
    /// (at registration, new ones): an observer that projects coverages brings them up to date here, idempotently
    /// (skipping versions it already has).
    /// </summary>
    Task OnPatientSavedAsync(PatientSnapshot patient, DbTransaction transaction, CancellationToken ct);

    /// <summary>
    /// A newly registered patient (with its new coverages), announced before the write transaction begins: an observer
    /// does what needs no database now (render, index) and returns the step that writes inside the transaction. On
    /// SQLite only one write runs at a time, so work moved out of the transaction is work other registrations no longer
    /// wait for. The default does everything in the transaction, as <see cref="OnPatientSavedAsync"/>.
    /// </summary>
    Func<DbTransaction, CancellationToken, Task> PrepareRegistration(PatientSnapshot patient) =>
        (transaction, ct) => OnPatientSavedAsync(patient, transaction, ct);

    /// <summary>Only a coverage was added or changed.</summary>
    Task OnCoverageSavedAsync(CoverageSnapshot coverage, DbTransaction transaction, CancellationToken ct);

    /// <summary>
    /// Many patients saved in one transaction (demo seeding, imports), each with its coverages in
    /// <see cref="PatientSnapshot.Coverages"/>. Override to write a projection in bulk; the default calls the single-item methods.
    /// </summary>
    async Task OnPatientsSavedAsync(IReadOnlyList<PatientSnapshot> patients, DbTransaction transaction, CancellationToken ct)
    {
        foreach (var patient in patients) await OnPatientSavedAsync(patient, transaction, ct);
    }
}

/// <summary>An alert on the chart header (banner). Severity: info | warning | critical. Source names the module that raised it.</summary>
public sealed record ChartAlert(string Code, string Severity, string Text, string Source);

/// <summary>
/// Lets later modules add to the chart header: alerts (allergies, overdue balance…) and labelled items
/// (primary care provider, next appointment…). Implementations are registered in DI and called on every header read.
/// </summary>
public interface IChartHeaderContributor
{
    Task ContributeAsync(PatientId patient, ChartHeaderBuilder header, CancellationToken ct);
}

public sealed class ChartHeaderBuilder
{
    public List<ChartAlert> Alerts { get; } = [];
    /// <summary>Label → value, shown in the banner in insertion order.</summary>
    public List<KeyValuePair<string, string>> Items { get; } = [];
}
