using System.Text;
using System.Text.RegularExpressions;

namespace Meridian.Tests.Messaging;

/// <summary>
/// Reads a received message the way a mail client would, written independently of Meridian's renderer: unfolds headers,
/// decodes RFC 2047 encoded-words and a quoted-printable or base64 body.
/// </summary>
public sealed partial class ParsedMail
{
    public required IReadOnlyDictionary<string, string> RawHeaders { get; init; }
    public required IReadOnlyList<string> HeaderLines { get; init; }
    public required string RawBody { get; init; }

    public string Header(string name) => RawHeaders.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"No {name} header in:\n{string.Join("\n", HeaderLines)}");
    public string DecodedHeader(string name) => DecodeWords(Header(name));

    public string Body
    {
        get
        {
            var encoding = RawHeaders.TryGetValue("Content-Transfer-Encoding", out var e) ? e.Trim().ToLowerInvariant() : "7bit";
            var bytes = encoding switch
            {
                "quoted-printable" => DecodeQuotedPrintable(RawBody),
                "base64" => Convert.FromBase64String(RawBody.Replace("\r\n", "")),
                _ => Encoding.ASCII.GetBytes(RawBody),
            };
            return Encoding.UTF8.GetString(bytes);
        }
    }

    public static ParsedMail Parse(string data)
    {
        var split = data.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) throw new FormatException("No blank line between headers and body.");
        var headerText = data[..split];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var lines = new List<string>();
        // RFC 5322 §2.2.3: a line starting with whitespace continues the previous header.
        foreach (var physical in headerText.Split("\r\n"))
        {
            if (physical.Length > 0 && (physical[0] == ' ' || physical[0] == '\t') && lines.Count > 0) lines[^1] += physical;
            else lines.Add(physical);
        }
        foreach (var line in lines)
        {
            var colon = line.IndexOf(':');
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }
        return new ParsedMail { RawHeaders = headers, HeaderLines = headerText.Split("\r\n"), RawBody = data[(split + 4)..] };
    }

    /// <summary>RFC 2047: "=?charset?B|Q?text?=" words; whitespace between two adjacent encoded-words is dropped (§6.2).</summary>
    public static string DecodeWords(string value)
    {
        var joined = AdjacentWords().Replace(value, "$1$2");
        return EncodedWord().Replace(joined, m =>
        {
            var charset = Encoding.GetEncoding(m.Groups[1].Value);
            var text = m.Groups[3].Value;
            var bytes = m.Groups[2].Value.ToUpperInvariant() == "B"
                ? Convert.FromBase64String(text)
                : DecodeQuotedPrintable(text.Replace('_', ' '));
            return charset.GetString(bytes);
        });
    }

    public static byte[] DecodeQuotedPrintable(string text)
    {
        var output = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '=')
            {
                if (i + 2 < text.Length && text[i + 1] == '\r' && text[i + 2] == '\n') { i += 2; continue; } // soft line break
                output.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else output.Add((byte)c);
        }
        return output.ToArray();
    }

    [GeneratedRegex(@"=\?([^?]+)\?([BbQq])\?([^?]*)\?=")]
    private static partial Regex EncodedWord();

    [GeneratedRegex(@"(\?=)\s+(=\?)")]
    private static partial Regex AdjacentWords();
}
