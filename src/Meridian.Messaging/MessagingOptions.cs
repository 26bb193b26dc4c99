namespace Meridian.Messaging;

/// <summary>Bound from <c>Meridian:Messaging</c>. Checked at start (<see cref="Validate"/>): a bad setting stops the host with its name.</summary>
internal sealed class MessagingOptions
{
    public const string Section = "Meridian:Messaging";

    /// <summary>Named in HELP and STOP answers (CTIA: identify the program and how to get help).</summary>
    public string PracticeName { get; set; } = "Meridian Family Practice";
    public string? PracticePhone { get; set; }
    /// <summary>The IANA zone for quiet hours when a message names none.</summary>
    public string DefaultTimeZone { get; set; } = "America/Chicago";
    public QuietHoursOptions QuietHours { get; set; } = new();
    public SenderOptions Sender { get; set; } = new();
    /// <summary>An SMS reply is matched to the latest message sent to that number within this window; older is "unknown number".</summary>
    public TimeSpan ReplyMatchWindow { get; set; } = TimeSpan.FromDays(30);
    public SmtpOptions Smtp { get; set; } = new();
    public SmsOptions Sms { get; set; } = new();

    public sealed class QuietHoursOptions
    {
        public bool Enabled { get; set; } = true;
        /// <summary>Local time (recipient's zone) from which nothing is sent…</summary>
        public TimeOnly Start { get; set; } = new(21, 0);
        /// <summary>…until this local time. Start after End means the quiet period spans midnight.</summary>
        public TimeOnly End { get; set; } = new(8, 0);
    }

    public sealed class SenderOptions
    {
        /// <summary>Off in tests that drive the sender one pass at a time.</summary>
        public bool Enabled { get; set; } = true;
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);
        public int BatchSize { get; set; } = 20;
        /// <summary>How long a claimed message stays reserved for its sender; must exceed a send's own time limit.</summary>
        public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);
        public int MaxAttempts { get; set; } = 6;
        public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMinutes(1);
        public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(2);
        /// <summary>Each retry delay is lengthened by a random share up to this fraction, so failed messages do not return in lockstep.</summary>
        public double RetryJitter { get; set; } = 0.25;
    }

    public sealed class SmtpOptions
    {
        /// <summary>Empty: e-mail goes to the local mailbox simulator (as it always does in demo mode).</summary>
        public string? Host { get; set; }
        public int Port { get; set; } = 587;
        public string? UserName { get; set; }
        public string? Password { get; set; }
        /// <summary>Upgrade with STARTTLS (RFC 3207). When on and the server does not offer it, nothing is sent: no silent fall-back to clear text.</summary>
        public bool StartTls { get; set; } = true;
        /// <summary>TLS from the first byte (SMTPS, port 465; RFC 8314). Excludes StartTls.</summary>
        public bool ImplicitTls { get; set; }
        /// <summary>Accept this server certificate (SHA-256 or SHA-1 thumbprint, hex) even if it does not chain to a trusted root: a relay with its own certificate.</summary>
        public string? ServerCertificateThumbprint { get; set; }
        /// <summary>AUTH sends the password; without TLS that is refused unless this is set (a relay on localhost).</summary>
        public bool AllowAuthWithoutTls { get; set; }
        public string? From { get; set; }
        public string? FromName { get; set; }
        /// <summary>The name Meridian gives in EHLO; default: this machine's host name.</summary>
        public string? HeloName { get; set; }
        /// <summary>Time limit for connecting and for each reply.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
    }

    public sealed class SmsOptions
    {
        /// <summary>"Simulator" or empty. Demo mode always uses the simulator. Without a gateway, SMS messages fail with a clear error.</summary>
        public string? Gateway { get; set; }
        public SmsSimulatorOptions Simulator { get; set; } = new();
    }

    public sealed class SmsSimulatorOptions
    {
        /// <summary>Numbers (E.164) matching this regular expression fail permanently as unreachable.</summary>
        public string UnreachablePattern { get; set; } = @"^\+1555019\d{4}$";
        /// <summary>Numbers matching this regular expression get a transient gateway error (to show retries); empty: none.</summary>
        public string? TransientFailurePattern { get; set; }
    }

    public bool UsesSmsSimulator(bool demo) => demo || string.Equals(Sms.Gateway, "Simulator", StringComparison.OrdinalIgnoreCase);
    public bool UsesLocalMailbox(bool demo) => demo || string.IsNullOrWhiteSpace(Smtp.Host);

    public TimeZoneInfo DefaultZone() => TimeZoneInfo.FindSystemTimeZoneById(DefaultTimeZone);

    public IEnumerable<string> Validate(bool demo)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(DefaultTimeZone, out _))
            yield return $"{Section}:DefaultTimeZone '{DefaultTimeZone}' is not a known time zone (use an IANA id such as America/Chicago).";
        if (string.IsNullOrWhiteSpace(PracticeName)) yield return $"{Section}:PracticeName is required (HELP and STOP answers name the practice).";
        if (Sender.PollInterval <= TimeSpan.Zero) yield return $"{Section}:Sender:PollInterval must be positive.";
        if (Sender.BatchSize is < 1 or > 500) yield return $"{Section}:Sender:BatchSize must be between 1 and 500.";
        if (Sender.MaxAttempts < 1) yield return $"{Section}:Sender:MaxAttempts must be at least 1.";
        if (Sender.RetryBaseDelay <= TimeSpan.Zero || Sender.RetryMaxDelay < Sender.RetryBaseDelay)
            yield return $"{Section}:Sender:RetryBaseDelay must be positive and at most RetryMaxDelay.";
        if (Sender.RetryJitter is < 0 or > 1) yield return $"{Section}:Sender:RetryJitter must be between 0 and 1.";
        if (Sender.Lease < Smtp.Timeout * 4)
            yield return $"{Section}:Sender:Lease must be at least four times Smtp:Timeout, so that a slow send never outlives its claim.";
        if (!string.IsNullOrWhiteSpace(Sms.Gateway) && !string.Equals(Sms.Gateway, "Simulator", StringComparison.OrdinalIgnoreCase))
            yield return $"{Section}:Sms:Gateway '{Sms.Gateway}' is not available; the only built-in gateway is 'Simulator'.";
        if (ReplyMatchWindow <= TimeSpan.Zero) yield return $"{Section}:ReplyMatchWindow must be positive.";
        // A bad pattern would otherwise throw on every text the simulator is handed, failing each sender pass.
        if (UsesSmsSimulator(demo))
        {
            if (!IsRegex(Sms.Simulator.UnreachablePattern)) yield return $"{Section}:Sms:Simulator:UnreachablePattern is not a valid regular expression.";
            if (Sms.Simulator.TransientFailurePattern is { Length: > 0 } transient && !IsRegex(transient))
                yield return $"{Section}:Sms:Simulator:TransientFailurePattern is not a valid regular expression.";
        }
        if (!UsesLocalMailbox(demo))
        {
            if (Smtp.Port is < 1 or > 65535) yield return $"{Section}:Smtp:Port must be between 1 and 65535.";
            if (string.IsNullOrWhiteSpace(Smtp.From) || !Domain.EmailAddress.TryNormalize(Smtp.From, out _))
                yield return $"{Section}:Smtp:From must be the e-mail address messages are sent from.";
            if (Smtp.StartTls && Smtp.ImplicitTls) yield return $"{Section}:Smtp: StartTls and ImplicitTls exclude each other.";
            if (string.IsNullOrEmpty(Smtp.UserName) != string.IsNullOrEmpty(Smtp.Password))
                yield return $"{Section}:Smtp: UserName and Password go together.";
            if (Smtp.Timeout <= TimeSpan.Zero) yield return $"{Section}:Smtp:Timeout must be positive.";
        }
    }

    private static bool IsRegex(string? pattern)
    {
        if (pattern is null) return false;
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
