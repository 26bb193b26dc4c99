namespace Meridian.Scheduling.Domain;

// Instants that queries compare are UTC DateTime columns (timestamptz on PostgreSQL, ISO text on SQLite, which sorts
// correctly as text). Wall-clock times of templates are TimeOnly + the location's IANA time zone, so a template means
// "09:00 in Denver" on both sides of a daylight-saving change.

/// <summary>A practice location. Its IANA time zone decides what "09:00" and "today" mean for everything booked there.</summary>
internal sealed class Location
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string TimeZone { get; set; } = "";
    public string? Phone { get; set; }
    /// <summary>FHIR Location id in the FHIR store (the practice directory), when the location is published there.</summary>
    public string? FhirLocationId { get; set; }
    /// <summary>Granularity of the bookable grid in minutes (slots start on multiples of this from local midnight).</summary>
    public int SlotMinutes { get; set; } = 15;
    public bool Active { get; set; } = true;
}

/// <summary>A person who sees patients. Linked to a staff sign-in and to the FHIR Practitioner.</summary>
internal sealed class Provider
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string? Npi { get; set; }
    public string? StaffUserId { get; set; }
    public string? FhirPractitionerId { get; set; }
    public string Color { get; set; } = "#0d6efd";
    public bool Active { get; set; } = true;
    /// <summary>Hash of the iCalendar feed token (the token itself is shown once); null = no feed.</summary>
    public string? CalendarFeedTokenHash { get; set; }
}

/// <summary>A room or a piece of equipment at a location that appointments can require.</summary>
internal sealed class Resource
{
    public Guid Id { get; set; }
    public Guid LocationId { get; set; }
    /// <summary>room | equipment</summary>
    public string Kind { get; set; } = "room";
    public string Name { get; set; } = "";
    public bool Active { get; set; } = true;
}

internal sealed class AppointmentType
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public int DurationMinutes { get; set; }
    public string Color { get; set; } = "#6c757d";
    /// <summary>any | new | established: whether the type is for patients new to the practice.</summary>
    public string PatientKind { get; set; } = "any";
    /// <summary>Resource kinds each booking needs one of, comma separated (e.g. "room").</summary>
    public string RequiredResourceKinds { get; set; } = "";
    public bool Active { get; set; } = true;
    public List<AppointmentTypeProvider> Providers { get; set; } = [];

    public IReadOnlyList<string> RequiredKinds() =>
        RequiredResourceKinds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Which providers offer an appointment type. No rows = every provider offers it.</summary>
internal sealed class AppointmentTypeProvider
{
    public Guid AppointmentTypeId { get; set; }
    public Guid ProviderId { get; set; }
}

/// <summary>A provider's weekly working pattern at one location, in effect between two dates (inclusive).</summary>
internal sealed class AvailabilityTemplate
{
    public Guid Id { get; set; }
    public Guid ProviderId { get; set; }
    public Guid LocationId { get; set; }
    public string Name { get; set; } = "";
    public DateOnly EffectiveFrom { get; set; }
    public DateOnly? EffectiveTo { get; set; }
    public int Version { get; set; }
    public List<AvailabilityRule> Rules { get; set; } = [];
}

/// <summary>One weekday interval of a template, in the location's wall-clock time: open hours, or a recurring block (lunch).</summary>
internal sealed class AvailabilityRule
{
    public Guid Id { get; set; }
    public Guid TemplateId { get; set; }
    public DayOfWeek Weekday { get; set; }
    public TimeOnly Start { get; set; }
    public TimeOnly End { get; set; }
    /// <summary>open | blocked</summary>
    public string Kind { get; set; } = "open";
    public string? Label { get; set; }
}

/// <summary>
/// A one-off change to availability: a holiday or closure (whole location when ProviderId is null), a meeting or other
/// blocked time for one provider, or extra open hours.
/// </summary>
internal sealed class AvailabilityException
{
    public Guid Id { get; set; }
    public Guid? ProviderId { get; set; }
    public Guid? LocationId { get; set; }
    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }
    /// <summary>closed | blocked | open</summary>
    public string Kind { get; set; } = "blocked";
    public string Reason { get; set; } = "";
}

internal sealed class Appointment
{
    public Guid Id { get; set; }
    public Guid PatientId { get; set; }
    public Guid ProviderId { get; set; }
    public Guid LocationId { get; set; }
    public Guid? ResourceId { get; set; }
    public Guid AppointmentTypeId { get; set; }
    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }
    public string Status { get; set; } = nameof(Contracts.AppointmentStatus.Scheduled);
    public DateTime StatusChangedAt { get; set; }
    public Guid? SeriesId { get; set; }
    public int? SeriesIndex { get; set; }
    public string? VisitReason { get; set; }
    public string? Note { get; set; }
    public string? CancelReason { get; set; }
    /// <summary>Booked over a conflict or outside availability by a user with the override permission.</summary>
    public bool ConflictOverride { get; set; }
    public DateTime? ConfirmedAt { get; set; }
    public DateTime? ArrivedAt { get; set; }
    public DateTime? RoomedAt { get; set; }
    public Guid? RoomId { get; set; }
    public DateTime? WithProviderAt { get; set; }
    public DateTime? CheckoutAt { get; set; }
    public DateTime? DoneAt { get; set; }
    /// <summary>Copay taken at check-in; billing takes it over into the patient ledger.</summary>
    public decimal? CopayCollected { get; set; }
    public string? CopayMethod { get; set; }
    public int Version { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? CreatedBy { get; set; }

    public Contracts.AppointmentStatus State => Enum.Parse<Contracts.AppointmentStatus>(Status);
    public bool Holds => State is not (Contracts.AppointmentStatus.Cancelled or Contracts.AppointmentStatus.NoShow);
}

/// <summary>The appointment's history: every booking, move, cancellation and status change, with who and when.</summary>
internal sealed class AppointmentEvent
{
    public long Id { get; set; }
    public Guid AppointmentId { get; set; }
    public DateTime At { get; set; }
    public string Action { get; set; } = "";
    public string? UserId { get; set; }
    public string? UserName { get; set; }
    public string? Detail { get; set; }
}

/// <summary>A recurring booking. Its occurrences are ordinary appointment rows that point back here.</summary>
internal sealed class AppointmentSeries
{
    public Guid Id { get; set; }
    /// <summary>RFC 5545 RRULE text (FREQ=WEEKLY;INTERVAL=2;COUNT=6), also used by the iCalendar feed.</summary>
    public string Rule { get; set; } = "";
    public DateTime FirstStartUtc { get; set; }
    public string TimeZone { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// One X12 270/271 eligibility check of a patient's coverage, kept with the raw request and answer (the evidence).
/// Written before the request leaves and completed when the answer is read, so a crash never loses that a check was sent.
/// </summary>
internal sealed class EligibilityCheck
{
    /// <summary>Also the 270's interchange control number (ISA13), unique per practice.</summary>
    public long Id { get; set; }
    public Guid? AppointmentId { get; set; }
    public Guid PatientId { get; set; }
    public Guid CoverageId { get; set; }
    public DateOnly ServiceDate { get; set; }
    public DateTime RequestedAt { get; set; }
    public DateTime? AnsweredAt { get; set; }
    public string? RequestedBy { get; set; }
    /// <summary>Pending | Active | Inactive | Rejected | Unknown | Error</summary>
    public string Status { get; set; } = "Pending";
    public string? PayerName { get; set; }
    public string? PlanName { get; set; }
    public DateOnly? PlanBegin { get; set; }
    public DateOnly? PlanEnd { get; set; }
    public decimal? Copay { get; set; }
    public decimal? CoinsurancePercent { get; set; }
    public decimal? Deductible { get; set; }
    public decimal? DeductibleRemaining { get; set; }
    /// <summary>What the front desk must read: rejection reasons, payer messages, transport problems (one per line).</summary>
    public string? Messages { get; set; }
    public string? RequestX12 { get; set; }
    public string? ResponseX12 { get; set; }
}
