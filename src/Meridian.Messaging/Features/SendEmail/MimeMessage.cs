using System.Globalization;
using System.Text;

namespace Meridian.Messaging.Features.SendEmail;

/// <summary>An e-mail to render: plain text, one recipient.</summary>
internal sealed record OutgoingEmail(string MessageId, string From, string? FromName, string To, string Subject, string Body, DateTimeOffset Date);

/// <summary>
/// Renders a plain-text e-mail as an RFC 5322 message with MIME (RFC 2045–2047): CRLF line endings, every header line within
/// 78 characters, non-ASCII header text as RFC 2047 encoded-words, the body as UTF-8 in quoted-printable. The result is
/// 7-bit clean, so it passes any SMTP server without the 8BITMIME or SMTPUTF8 extensions.
/// </summary>
internal static class MimeMessage
{
    private const string Crlf = "\r\n";

    public static byte[] Render(OutgoingEmail email)
    {
        var sb = new StringBuilder();
        // RFC 5322 §3.3 date-time, in UTC ("+0000"), with English day and month names whatever the server's culture.
        Header(sb, "Date", email.Date.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture));
        sb.Append("From: ").Append(Mailbox(email.FromName, email.From, "From: ".Length)).Append(Crlf);
        Header(sb, "To", email.To);
        sb.Append("Subject: ").Append(EncodeUnstructured(email.Subject, "Subject: ".Length)).Append(Crlf);
        Header(sb, "Message-ID", email.MessageId);
        Header(sb, "MIME-Version", "1.0");
        Header(sb, "Content-Type", "text/plain; charset=utf-8");
        Header(sb, "Content-Transfer-Encoding", "quoted-printable");
        // RFC 3834 §5: machine-generated; well-behaved auto-responders (out-of-office) do not answer it.
        Header(sb, "Auto-Submitted", "auto-generated");
        sb.Append(Crlf);
        sb.Append(QuotedPrintable(email.Body));
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static void Header(StringBuilder sb, string name, string value) => sb.Append(name).Append(": ").Append(value).Append(Crlf);

    /// <summary>RFC 5322 §3.4 mailbox: <c>display-name &lt;addr-spec&gt;</c>; the name quoted (ASCII) or encoded (RFC 2047 §5(3)).</summary>
    internal static string Mailbox(string? name, string address, int firstLineUsed)
    {
        if (string.IsNullOrWhiteSpace(name)) return address;
        name = name.Trim();
        var display = IsPrintableAscii(name)
            ? "\"" + name.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""
            : string.Join(Crlf + " ", EncodedWords(name, WordBytes));
        var lastLine = display.Contains(Crlf, StringComparison.Ordinal) ? display[(display.LastIndexOf(Crlf, StringComparison.Ordinal) + 2)..].Length : firstLineUsed + display.Length;
        // Fold before the address when it would push the line past 78 characters.
        return lastLine + 3 + address.Length > 78 ? $"{display}{Crlf} <{address}>" : $"{display} <{address}>";
    }

    /// <summary>
    /// 39 bytes → 52 base64 characters → an encoded-word of 64: with "Subject: " in front a line stays within the 76 that
    /// RFC 2047 §2 allows for lines with encoded-words.
    /// </summary>
    private const int WordBytes = 39;

    /// <summary>
    /// An unstructured header value (Subject). ASCII text is folded at spaces (RFC 5322 §2.2.3); text with any non-ASCII
    /// character becomes UTF-8 "B" encoded-words of at most 75 characters each (RFC 2047 §2), split between characters,
    /// never inside one (§5), on folded lines. Decoders drop the whitespace between adjacent encoded-words (§6.2).
    /// </summary>
    internal static string EncodeUnstructured(string text, int firstLineUsed)
    {
        if (IsPrintableAscii(text) && !text.Contains("=?", StringComparison.Ordinal))
            return Fold(text, firstLineUsed);
        return string.Join(Crlf + " ", EncodedWords(text, WordBytes));
    }

    private static IEnumerable<string> EncodedWords(string text, int maxBytes)
    {
        var chunk = new List<byte>(maxBytes);
        Span<byte> buffer = stackalloc byte[4];
        var words = new List<string>();
        foreach (var rune in text.EnumerateRunes())
        {
            var n = rune.EncodeToUtf8(buffer);
            if (chunk.Count + n > maxBytes)
            {
                words.Add(Word(chunk));
                chunk.Clear();
            }
            for (var i = 0; i < n; i++) chunk.Add(buffer[i]);
        }
        if (chunk.Count > 0) words.Add(Word(chunk));
        return words;

        static string Word(List<byte> bytes) => "=?utf-8?B?" + Convert.ToBase64String(bytes.ToArray()) + "?=";
    }

    private static string Fold(string text, int firstLineUsed)
    {
        const int max = 78;
        var sb = new StringBuilder();
        var lineLength = firstLineUsed;
        var first = true;
        foreach (var word in text.Split(' '))
        {
            if (!first)
            {
                if (lineLength + 1 + word.Length > max)
                {
                    sb.Append(Crlf).Append(' ');
                    lineLength = 1;
                }
                else
                {
                    sb.Append(' ');
                    lineLength++;
                }
            }
            sb.Append(word);
            lineLength += word.Length;
            first = false;
        }
        return sb.ToString();
    }

    private static bool IsPrintableAscii(string s) => s.All(c => c is >= ' ' and <= '~');

    /// <summary>
    /// RFC 2045 §6.7 quoted-printable of the UTF-8 text. Line breaks in the text (CRLF, LF or CR) become CRLF; encoded lines
    /// are at most 76 characters, longer ones end in a soft break "="; a space or tab at the end of a line is encoded
    /// (rule 3), as are '=' and every byte outside printable ASCII. A leading '.' is left alone: SMTP dot-stuffing
    /// (RFC 5321 §4.5.2) protects it in transit.
    /// </summary>
    internal static string QuotedPrintable(string text)
    {
        var sb = new StringBuilder(text.Length + text.Length / 8);
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        if (lines.Length > 1 && lines[^1].Length == 0) lines = lines[..^1]; // a final line break ends the last line, it does not add one
        for (var l = 0; l < lines.Length; l++)
        {
            var bytes = Encoding.UTF8.GetBytes(lines[l]);
            var lineLength = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                var b = bytes[i];
                var last = i == bytes.Length - 1;
                var literal = (b is >= 33 and <= 126 && b != (byte)'=') || ((b == (byte)' ' || b == (byte)'\t') && !last);
                var token = literal ? ((char)b).ToString() : "=" + b.ToString("X2", CultureInfo.InvariantCulture);
                // Room for the token and, unless this is the line's last token, a soft break "=".
                var limit = last ? 76 : 75;
                if (lineLength + token.Length > limit)
                {
                    sb.Append('=').Append(Crlf);
                    lineLength = 0;
                }
                sb.Append(token);
                lineLength += token.Length;
            }
            sb.Append(Crlf);
        }
        return sb.ToString();
    }
}
