using System.Globalization;
using System.Text;

namespace Meridian.Patients.Domain;

/// <summary>
/// The normal forms search and duplicate detection compare. Stored normalized values are compared with plain
/// binary (C collation) range scans, so "Ó'Brien", "o'brien" and "O'BRIEN" all land on the same index entries.
/// </summary>
internal static class SearchKeys
{
    /// <summary>Lower-case, diacritics removed (NFD then drop non-spacing marks), whitespace collapsed, trimmed.</summary>
    public static string Name(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var decomposed = text.Trim().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        var lastSpace = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            // Apostrophes are dropped so that "OBrien", "O'Brien" and "O’Brien" meet; hyphens and dots separate like spaces.
            if (c is '\'' or '\u2019' or '\u2018' or '`' or '\u00B4') continue;
            if (char.IsWhiteSpace(c) || c is '-' or '.' or '\u2010' or '\u2013')
            {
                if (!lastSpace) sb.Append(' ');
                lastSpace = true;
                continue;
            }
            lastSpace = false;
            // Letters without a decomposition that people type without the mark.
            sb.Append(c switch
            {
                'ß' => "ss", 'Æ' or 'æ' => "ae", 'Ø' or 'ø' => "o", 'Œ' or 'œ' => "oe", 'Ł' or 'ł' => "l", 'Đ' or 'đ' => "d",
                _ => char.ToLowerInvariant(c).ToString(),
            });
        }
        return sb.ToString().Trim().Normalize(NormalizationForm.FormC);
    }

    /// <summary>
    /// The exclusive upper bound of a prefix range: "smi" → "smj". Range predicates (col &gt;= p AND col &lt; upper)
    /// use a B-tree index on both providers; LIKE 'p%' does not when the pattern is a parameter.
    /// </summary>
    public static string PrefixUpperBound(string prefix)
    {
        var chars = prefix.ToCharArray();
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            if (chars[i] < '\uD7FF')
            {
                chars[i]++;
                return new string(chars, 0, i + 1);
            }
        }
        return prefix + "\uD7FF";
    }

    /// <summary>Digits only; a leading US country code 1 on an 11-digit number is dropped (NANP).</summary>
    public static string PhoneDigits(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length);
        foreach (var c in text) if (c is >= '0' and <= '9') sb.Append(c);
        var digits = sb.ToString();
        return digits.Length == 11 && digits[0] == '1' ? digits[1..] : digits;
    }

    public static string MemberId(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length);
        foreach (var c in text) if (char.IsLetterOrDigit(c)) sb.Append(char.ToUpperInvariant(c));
        return sb.ToString();
    }

    /// <summary>American Soundex (the National Archives rule: H and W do not separate equal codes).</summary>
    public static string Soundex(string? text)
    {
        var name = Name(text);
        var letters = name.Where(c => c is >= 'a' and <= 'z').ToArray();
        if (letters.Length == 0) return "";
        var sb = new StringBuilder(4);
        sb.Append(char.ToUpperInvariant(letters[0]));
        var last = Code(letters[0]);
        for (var i = 1; i < letters.Length && sb.Length < 4; i++)
        {
            var c = letters[i];
            var code = Code(c);
            if (code != '0' && code != last) sb.Append(code);
            if (c is not ('h' or 'w')) last = code;
        }
        return sb.ToString().PadRight(4, '0');

        static char Code(char c) => c switch
        {
            'b' or 'f' or 'p' or 'v' => '1',
            'c' or 'g' or 'j' or 'k' or 'q' or 's' or 'x' or 'z' => '2',
            'd' or 't' => '3',
            'l' => '4',
            'm' or 'n' => '5',
            'r' => '6',
            _ => '0',
        };
    }

    /// <summary>Levenshtein distance, bounded: returns max+1 as soon as the distance must exceed max.</summary>
    public static int EditDistance(string a, string b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max) return max + 1;
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            var rowMin = cur[0];
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                rowMin = Math.Min(rowMin, cur[j]);
            }
            if (rowMin > max) return max + 1;
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
