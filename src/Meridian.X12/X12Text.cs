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
