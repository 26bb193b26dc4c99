using System.Text;
using System.Text.RegularExpressions;

namespace Meridian.Scheduling.Domain;

/// <summary>A practice's rule: remind HoursBefore the start, on the first of Channels the patient can receive.</summary>
internal sealed class ReminderRule
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public int HoursBefore { get; set; }
    /// <summary>sms and/or email, comma separated, in order of preference.</summary>
    public string Channels { get; set; } = "sms";
    /// <summary>Appointment type ids, comma separated; empty = every type.</summary>
    public string AppointmentTypeIds { get; set; } = "";
    public string Template { get; set; } = "";
    public bool Active { get; set; } = true;
    public int Version { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public IReadOnlyList<string> ChannelList() => Channels.Split(',', StringSplitOptions.RemoveEmptyEntries);
    public IReadOnlyList<Guid> TypeIds() => AppointmentTypeIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToList();
}

/// <summary>
/// What the scheduler did about one rule for one version of an appointment: sent (a message was enqueued) or skipped (with
/// why). Unique per (appointment, rule, version), so a pass never looks at the same reminder twice.
/// </summary>
internal sealed class ReminderLog
{
    public Guid Id { get; set; }
    public Guid AppointmentId { get; set; }
    public Guid RuleId { get; set; }
    public int AppointmentVersion { get; set; }
    public string State { get; set; } = "sent";
    public string? Channel { get; set; }
    public Guid? MessageId { get; set; }
    public string? Detail { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// The confirm/cancel link in a reminder: valid for one version of one appointment (a moved appointment needs a new link).
/// Only the token's hash is stored.
/// </summary>
internal sealed class AppointmentLink
{
    public Guid Id { get; set; }
    public Guid AppointmentId { get; set; }
    public int AppointmentVersion { get; set; }
    public string TokenHash { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
}

/// <summary>
/// Reminder templates: plain text with {{field}} merge fields from a fixed list. Values are inserted as text (never
/// re-parsed), so a patient named "{{confirmLink}}" stays a name; e-mail is sent as text/plain, so no HTML escaping applies.
/// </summary>
internal static partial class ReminderTemplate
{
    public static readonly IReadOnlyList<string> Fields =
    [
        "patient.firstName", "appointment.date", "appointment.time", "provider.name", "location.name", "location.phone", "confirmLink",
    ];

    public const int MaxLength = 1000;

    [GeneratedRegex(@"\{\{\s*([^{}]*?)\s*\}\}")]
    private static partial Regex FieldPattern();

    /// <summary>Unknown or malformed fields, in order of appearance.</summary>
    public static IReadOnlyList<string> Problems(string template)
    {
        var problems = new List<string>();
        foreach (Match m in FieldPattern().Matches(template))
            if (!Fields.Contains(m.Groups[1].Value, StringComparer.Ordinal)) problems.Add($"'{{{{{m.Groups[1].Value}}}}}' is not a merge field (use {string.Join(", ", Fields.Select(f => "{{" + f + "}}"))}).");
        // A brace pair left over after removing the real fields is a typo such as {{patient.firstName} or {patient.firstName}}.
        var rest = FieldPattern().Replace(template, "");
        if (rest.Contains("{{", StringComparison.Ordinal) || rest.Contains("}}", StringComparison.Ordinal))
            problems.Add("A merge field is not closed: write fields as {{name}}.");
        return problems;
    }

    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var sb = new StringBuilder();
        var last = 0;
        foreach (Match m in FieldPattern().Matches(template))
        {
            sb.Append(template, last, m.Index - last);
            sb.Append(values.TryGetValue(m.Groups[1].Value, out var v) ? v : "");
            last = m.Index + m.Length;
        }
        sb.Append(template, last, template.Length - last);
        return sb.ToString();
    }
}
