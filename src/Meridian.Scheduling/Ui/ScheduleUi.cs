using System.Globalization;
using Meridian.Scheduling.Domain;
using Meridian.SharedKernel.Errors;
using Microsoft.AspNetCore.Http;

namespace Meridian.Scheduling.Ui;

/// <summary>What the schedule screens share: the time grid's geometry, date formats, and turning handler errors into one message.</summary>
internal static class ScheduleUi
{
    /// <summary>One grid row per 15 minutes; the CSS (.sched-col-body) uses the same row height.</summary>
    public const int RowMinutes = 15;
    public const double RowRem = 1.25;

    public static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    public static string Time(DateTimeOffset t) => t.ToString("HH:mm", CultureInfo.InvariantCulture);
    public static string Day(DateOnly d) => d.ToString("ddd d MMM yyyy", CultureInfo.InvariantCulture);
    public static string Moment(DateTimeOffset t) => t.ToString("ddd d MMM yyyy HH:mm", CultureInfo.InvariantCulture);
    /// <summary>An instant with its UTC offset (ISO 8601), what the API takes back.</summary>
    public static string Wire(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static DateOnly? ParseDate(string? s) =>
        DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    public static DateOnly TodayAt(string timeZone, TimeProvider time) => Zones.LocalDate(time.GetUtcNow().UtcDateTime, Zones.Get(timeZone));

    /// <summary>The wall-clock time at a location as an instant with the offset it has that day (DST-aware).</summary>
    public static DateTimeOffset At(DateOnly date, TimeOnly t, string timeZone)
    {
        var zone = Zones.Get(timeZone);
        return Zones.ToLocal(Zones.ToUtc(date, t, zone), zone);
    }

    /// <summary>"datetime-local" input text (a wall-clock time at the location) to an instant there.</summary>
    public static DateTimeOffset? ParseLocal(string? s, string timeZone)
    {
        if (!DateTime.TryParseExact(s, ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt)) return null;
        return At(DateOnly.FromDateTime(dt), TimeOnly.FromDateTime(dt), timeZone);
    }

    public static string Local(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The message a person needs from a refused change: the handler's own words, field errors included.</summary>
    public static (string Message, int Status) Explain(Exception e) => e switch
    {
        ValidationFailedException v => (v.Errors.Count > 0 ? string.Join(" ", v.Errors.SelectMany(x => x.Value).Distinct()) : v.Message,
            StatusCodes.Status400BadRequest),
        MeridianException m => (m.Message, m.StatusCode),
        _ => throw e,
    };

    public static void SetStatus(HttpContext? http, int status)
    {
        if (http is { Response.HasStarted: false }) http.Response.StatusCode = status;
    }

    /// <summary>Text colour readable on an appointment type's colour (WCAG relative luminance).</summary>
    public static string Ink(string hex)
    {
        if (hex is not { Length: 7 } || hex[0] != '#') return "#000";
        static double C(string h) { var c = int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0; return c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4); }
        var l = 0.2126 * C(hex[1..3]) + 0.7152 * C(hex[3..5]) + 0.0722 * C(hex[5..7]);
        return l > 0.179 ? "#000" : "#fff";
    }

    public static string StatusLabel(string status) => status switch
    {
        "WithProvider" => "With provider",
        "CheckingOut" => "Checking out",
        "NoShow" => "No-show",
        _ => status,
    };

    public static string Query(string path, IEnumerable<(string Key, string? Value)> values) =>
        path + "?" + string.Join('&', values.Where(kv => !string.IsNullOrEmpty(kv.Value)).Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value!)}"));
}
