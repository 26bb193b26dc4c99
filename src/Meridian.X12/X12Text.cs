using System.Globalization;
using System.Text;

namespace Meridian.X12;

/// <summary>Text as X12 carries it: printable ASCII (the basic and extended character sets), no delimiters.</summary>
internal static class X12Text
{
    /// <summary>
    /// A person or organization name as payers match it: trimmed, single-spaced, diacritics removed (é → E; X12's
    /// character sets have no accented letters) and upper case, which is what payers store and CAQH CORE's name
    /// normalization compares against. Null for blank input.
    /// </summary>
    public static string? Name(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var decomposed = string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
                sb.Append(c);
        return sb.ToString().Normalize(NormalizationForm.FormC).ToUpperInvariant();
    }

    /// <summary>Null when the value can be written; otherwise why not.</summary>
    public static string? Problem(string value, X12Delimiters delimiters)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~') return $"contains '{c}', which is outside the X12 character set";
            if (delimiters.IsDelimiter(c)) return $"contains '{c}', which is an X12 delimiter";
        }
        return null;
    }
}

/// <summary>X12 numeric formats.</summary>
internal static class X12Numbers
{
    /// <summary>
    /// R (decimal number): no trailing zeros after the point and no leading zero before it, as X12.6 asks
    /// ("leading zeros should be suppressed"): 10.00 → "10", 0.20 → ".2".
    /// </summary>
    public static string Decimal(decimal value)
    {
        var text = value.ToString("0.##########", CultureInfo.InvariantCulture);
        if (text.StartsWith("0.", StringComparison.Ordinal)) return text[1..];
        if (text.StartsWith("-0.", StringComparison.Ordinal)) return "-" + text[2..];
        return text;
    }
}
