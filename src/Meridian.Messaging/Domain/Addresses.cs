using System.Diagnostics.CodeAnalysis;

namespace Meridian.Messaging.Domain;

/// <summary>Phone numbers in E.164 (ITU-T E.164: '+', country code, subscriber number, at most 15 digits).</summary>
internal static class PhoneNumber
{
    /// <summary>
    /// "+44 20 7946 0958" stays international; a number without '+' is taken as North American (NANP, the practice's
    /// default): ten digits get +1, eleven digits starting with 1 get '+'. Spaces, dots, dashes and parentheses are ignored;
    /// anything else (letters, an extension) makes the number invalid rather than silently dropped.
    /// </summary>
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? e164)
    {
        e164 = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 40) return false;
        var s = text.Trim();
        var international = s.StartsWith('+');
        if (international) s = s[1..];
        else if (s.StartsWith("00", StringComparison.Ordinal)) // international prefix used outside North America
        {
            international = true;
            s = s[2..];
        }
        var digits = new System.Text.StringBuilder(16);
        foreach (var c in s)
        {
            if (c is >= '0' and <= '9') digits.Append(c);
            else if (c is ' ' or '-' or '.' or '(' or ')') continue;
            else return false;
        }
        var d = digits.ToString();
        if (!international)
        {
            if (d.Length == 10) d = "1" + d;
            else if (!(d.Length == 11 && d[0] == '1')) return false;
        }
        // E.164: country codes never start with 0; at most 15 digits. Eight is the shortest number in practical use.
        if (d.Length is < 8 or > 15 || d[0] == '0') return false;
        e164 = "+" + d;
        return true;
    }

    /// <summary>For logs: enough to tell numbers apart, not enough to identify a patient.</summary>
    public static string Mask(string e164) => e164.Length <= 4 ? "****" : new string('*', e164.Length - 4) + e164[^4..];
}

/// <summary>
/// E-mail addresses Meridian can send to over plain SMTP: an RFC 5321 Mailbox with an ASCII dot-atom local part and a
/// domain name (no quoted local parts, no address literals, no internationalized addresses, which need SMTPUTF8).
/// </summary>
internal static class EmailAddress
{
    private const string AtomChars = "!#$%&'*+-/=?^_`{|}~";

    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        if (s.Length > Data.Limits.Address) return false;
        var at = s.LastIndexOf('@');
        if (at <= 0 || at == s.Length - 1 || s.IndexOf('@') != at) return false;
        var local = s[..at];
        var domain = s[(at + 1)..];
        if (local.Length > 64 || !DotAtom(local, c => char.IsAsciiLetterOrDigit(c) || AtomChars.Contains(c))) return false;
        if (!DotAtom(domain, c => char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        if (domain.Split('.').Any(label => label.Length > 63 || label.StartsWith('-') || label.EndsWith('-'))) return false;
        // The domain is case-insensitive (RFC 5321 §2.4); the local part is left as given.
        address = local + "@" + domain.ToLowerInvariant();
        return true;
    }

    private static bool DotAtom(string s, Func<char, bool> atomChar) =>
        s.Length > 0 && !s.StartsWith('.') && !s.EndsWith('.') && !s.Contains("..", StringComparison.Ordinal) && s.All(c => c == '.' || atomChar(c));
}
