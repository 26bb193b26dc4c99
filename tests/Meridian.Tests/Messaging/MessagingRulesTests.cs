using Meridian.Messaging;
using Meridian.Messaging.Domain;

namespace Meridian.Tests.Messaging;

/// <summary>The small rules the sender and the inbound pipeline rely on: number formats, keywords, quiet hours, backoff.</summary>
public sealed class MessagingRulesTests
{
    [Theory]
    [InlineData("(555) 010-1234", "+15550101234")]
    [InlineData("555.010.1234", "+15550101234")]
    [InlineData("1 555 010 1234", "+15550101234")]
    [InlineData("+1 (555) 010-1234", "+15550101234")]
    [InlineData("+44 20 7946 0958", "+442079460958")]
    [InlineData("0044 20 7946 0958", "+442079460958")]
    public void Phone_numbers_are_normalized_to_E164_with_north_america_as_the_default(string input, string expected)
    {
        Assert.True(PhoneNumber.TryNormalize(input, out var e164));
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("555-0101")]            // seven digits: no area code
    [InlineData("2 555 010 1234")]      // eleven digits not starting with 1
    [InlineData("555-010-1234 x12")]    // an extension cannot be texted
    [InlineData("+0123456789")]         // country codes never start with 0
    [InlineData("+1234567890123456")]   // more than 15 digits
    [InlineData("call me")]
    [InlineData("")]
    public void Numbers_that_cannot_be_texted_are_rejected(string input) => Assert.False(PhoneNumber.TryNormalize(input, out _));

    [Theory]
    [InlineData("Patient.Name@Example.ORG", "Patient.Name@example.org")]
    [InlineData(" o'brien+reminders@mail.example.com ", "o'brien+reminders@mail.example.com")]
    public void Email_addresses_are_accepted_with_the_domain_lower_cased(string input, string expected)
    {
        Assert.True(EmailAddress.TryNormalize(input, out var address));
        Assert.Equal(expected, address);
    }

    [Theory]
    [InlineData("no-at-sign.example.org")]
    [InlineData("two@@example.org")]
    [InlineData("a b@example.org")]
    [InlineData("x@example.org>\r\nRCPT TO:<victim@example.org")]
    [InlineData(".dot@example.org")]
    [InlineData("müller@example.org")]   // needs SMTPUTF8
    [InlineData("a@-example.org")]
    public void Addresses_smtp_cannot_carry_safely_are_rejected(string input) => Assert.False(EmailAddress.TryNormalize(input, out _));

    [Theory]
    [InlineData("STOP", "OptOut")]
    [InlineData(" stop. ", "OptOut")]
    [InlineData("StopAll", "OptOut")]
    [InlineData("UNSUBSCRIBE", "OptOut")]
    [InlineData("end", "OptOut")]
    [InlineData("Quit!", "OptOut")]
    [InlineData("START", "OptIn")]
    [InlineData("unstop", "OptIn")]
    [InlineData("help", "Help")]
    [InlineData("INFO", "Help")]
    [InlineData("cancel", "None")]       // the patient cancels the appointment, not the texts
    [InlineData("yes", "None")]          // the patient confirms
    [InlineData("X", "None")]
    [InlineData("please stop calling me", "None")]
    public void Keywords_follow_ctia_without_swallowing_appointment_answers(string body, string expected) =>
        Assert.Equal(expected, Keywords.Classify(body).ToString());

    [Fact]
    public void A_quiet_period_end_inside_the_spring_forward_gap_moves_to_the_end_of_the_gap()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        // 2030-03-10: clocks go from 02:00 EST to 03:00 EDT. A quiet period 21:00–02:30 ends when 02:30 would have been: 03:00 EDT.
        var at = new DateTime(2030, 3, 10, 5, 0, 0, DateTimeKind.Utc); // 00:00 EST
        var until = QuietHours.DeferUntil(at, zone, new TimeOnly(21, 0), new TimeOnly(2, 30));
        Assert.Equal(new DateTime(2030, 3, 10, 7, 0, 0, DateTimeKind.Utc), until);
    }

    [Fact]
    public void A_quiet_period_end_that_occurs_twice_is_taken_at_its_first_occurrence()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        // 2030-11-03: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
        var at = new DateTime(2030, 11, 3, 4, 0, 0, DateTimeKind.Utc); // 00:00 EDT
        Assert.Equal(new DateTime(2030, 11, 3, 5, 30, 0, DateTimeKind.Utc), QuietHours.DeferUntil(at, zone, new TimeOnly(21, 0), new TimeOnly(1, 30)));
    }

    [Fact]
    public void Quiet_hours_within_one_day_and_outside_them()
    {
        var utc = TimeZoneInfo.Utc;
        var start = new TimeOnly(12, 0);
        var end = new TimeOnly(13, 0);
        Assert.Null(QuietHours.DeferUntil(new DateTime(2030, 1, 1, 11, 59, 0, DateTimeKind.Utc), utc, start, end));
        Assert.Equal(new DateTime(2030, 1, 1, 13, 0, 0, DateTimeKind.Utc), QuietHours.DeferUntil(new DateTime(2030, 1, 1, 12, 0, 0, DateTimeKind.Utc), utc, start, end));
        Assert.Null(QuietHours.DeferUntil(new DateTime(2030, 1, 1, 13, 0, 0, DateTimeKind.Utc), utc, start, end));
        Assert.Null(QuietHours.DeferUntil(new DateTime(2030, 1, 1, 3, 0, 0, DateTimeKind.Utc), utc, new TimeOnly(8, 0), new TimeOnly(8, 0)));
    }

    [Fact]
    public void Backoff_doubles_per_attempt_adds_bounded_jitter_and_is_capped()
    {
        var b = TimeSpan.FromMinutes(1);
        var max = TimeSpan.FromHours(2);
        Assert.Equal(TimeSpan.FromMinutes(1), RetryPolicy.Delay(1, b, max, 0.25, 0));
        Assert.Equal(TimeSpan.FromMinutes(4), RetryPolicy.Delay(3, b, max, 0.25, 0));
        Assert.Equal(TimeSpan.FromMinutes(5), RetryPolicy.Delay(3, b, max, 0.25, 1));
        Assert.Equal(max, RetryPolicy.Delay(40, b, max, 0.25, 0));
    }

    [Fact]
    public void A_bad_simulator_pattern_or_match_window_stops_the_host_at_start_with_its_name()
    {
        var options = new MessagingOptions { ReplyMatchWindow = TimeSpan.Zero };
        options.Sms.Simulator.UnreachablePattern = "^(+1";
        options.Sms.Simulator.TransientFailurePattern = "[";
        var errors = options.Validate(demo: true).ToList();
        Assert.Contains(errors, e => e.Contains("Sms:Simulator:UnreachablePattern", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Sms:Simulator:TransientFailurePattern", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ReplyMatchWindow", StringComparison.Ordinal));
        Assert.Empty(new MessagingOptions().Validate(demo: true));
    }
}
