namespace Meridian.Scheduling;

/// <summary>Bound from <c>Meridian:Scheduling</c>: what the waitlist offers and the reminders say and when they run.</summary>
internal sealed class SchedulingMessagesOptions
{
    public const string Section = "Meridian:Scheduling";

    /// <summary>Named in every offer and reminder.</summary>
    public string PracticeName { get; set; } = "Meridian Family Practice";
    /// <summary>Where patients open links (offers, confirmations): the practice's public address, without a trailing slash.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5000";
    public WaitlistSettings Waitlist { get; set; } = new();
    public ReminderSettings Reminders { get; set; } = new();

    public sealed class WaitlistSettings
    {
        /// <summary>Off in tests that drive the offerer one pass at a time.</summary>
        public bool Enabled { get; set; } = true;
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);
        /// <summary>How long a patient has to answer an offer…</summary>
        public TimeSpan OfferLifetime { get; set; } = TimeSpan.FromHours(2);
        /// <summary>…but never later than this before the appointment starts; an opening closer than that is not offered.</summary>
        public TimeSpan ClaimCutoff { get; set; } = TimeSpan.FromHours(1);
        /// <summary>Offers out at once per opening; the first acceptance books it.</summary>
        public int OffersPerOpening { get; set; } = 1;
        /// <summary>
        /// No offers are made in the location's night (the messaging module would hold the text until morning while the
        /// offer's clock runs, and the opening would pass through the whole waitlist unseen). Same hours as messaging's quiet hours.
        /// </summary>
        public TimeOnly QuietStart { get; set; } = new(21, 0);
        public TimeOnly QuietEnd { get; set; } = new(8, 0);
    }

    public sealed class ReminderSettings
    {
        public bool Enabled { get; set; } = true;
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(5);
        /// <summary>A confirm link stays usable this long after the appointment's start (then it is of no use).</summary>
        public TimeSpan LinkGrace { get; set; } = TimeSpan.FromHours(1);
    }
}
