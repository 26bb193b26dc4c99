using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Meridian.Messaging.Features.SendEmail;

/// <summary>An SMTP reply (RFC 5321 §4.2): a three-digit code and one or more lines of text.</summary>
internal sealed record SmtpReply(int Code, IReadOnlyList<string> Lines)
{
    public string Text => string.Join(" ", Lines);
    public override string ToString() => $"{Code} {Text}".TrimEnd();
}

internal enum SmtpStage
{
    Connect,
    Greeting,
    Ehlo,
    StartTls,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    Message,
}

/// <summary>
/// A failed send. <see cref="Transient"/>: worth retrying later (4xx replies, network errors, timeouts, and server or
/// configuration problems before the message itself was looked at). Permanent: the server refused this recipient or this
/// message with a 5xx reply (RFC 5321 §4.2.1: "permanent negative completion"), so sending it again cannot succeed.
/// </summary>
internal sealed class SmtpException(string message, SmtpStage stage, int? code, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public SmtpStage Stage { get; } = stage;
    public int? Code { get; } = code;
    public bool Transient { get; } = transient;
}

/// <summary>
/// A small SMTP client (RFC 5321) over a TCP socket: EHLO (HELO fall-back), STARTTLS (RFC 3207) or implicit TLS (RFC 8314),
/// AUTH PLAIN (RFC 4616) or LOGIN, one message to one recipient per connection, dot-stuffing, CRLF everywhere, multi-line
/// replies, and a time limit on connecting and on every reply. System.Net.Mail.SmtpClient is not used: Microsoft marks it
/// as not recommended for new development (DE0005), it reports failures without telling a 4xx from a 5xx per stage, and
/// it cannot be cancelled mid-send — all three matter for a retrying outbox. See docs/decisions/0009.
/// </summary>
internal sealed class SmtpMailer(MessagingOptions.SmtpOptions options, ILogger logger)
{
    /// <summary>Sends <paramref name="message"/> (a complete RFC 5322 message, CRLF line endings); returns the server's acceptance reply.</summary>
    public async Task<SmtpReply> SendAsync(string from, string to, byte[] message, CancellationToken ct)
    {
        var host = options.Host ?? throw new InvalidOperationException("No SMTP host is configured.");
        await using var session = await SmtpSession.ConnectAsync(host, options.Port, options.Timeout, ct);
        if (options.ImplicitTls) await session.StartTlsAsync(host, ValidateCertificate, ct);

        Expect(await session.ReadReplyAsync(ct), SmtpStage.Greeting, 220);
        var heloName = HeloName(session);
        var extensions = await HelloAsync(session, heloName, ct);

        if (!session.IsTls && options.StartTls)
        {
            // RFC 3207 §4: a client that requires TLS must not continue in clear text when the server does not offer it
            // (otherwise anyone on the path could strip the offer and read patient mail).
            if (!extensions.ContainsKey("STARTTLS"))
                throw new SmtpException($"SMTP server {host}:{options.Port} does not offer STARTTLS; nothing was sent in clear text " +
                                        "(set Smtp:StartTls to false only for a relay on a trusted network).", SmtpStage.StartTls, null, transient: true);
            Expect(await session.CommandAsync("STARTTLS", ct), SmtpStage.StartTls, 220);
            await session.StartTlsAsync(host, ValidateCertificate, ct);
            // RFC 3207 §4.2: forget everything learned before TLS and say hello again.
            extensions = await HelloAsync(session, heloName, ct);
        }

        if (!string.IsNullOrEmpty(options.UserName)) await AuthenticateAsync(session, extensions, ct);

        Expect(await session.CommandAsync($"MAIL FROM:<{from}>", ct), SmtpStage.MailFrom, 250);
        Expect(await session.CommandAsync($"RCPT TO:<{to}>", ct), SmtpStage.RcptTo, 250, 251);
        Expect(await session.CommandAsync("DATA", ct), SmtpStage.Data, 354);
        await session.WriteAsync(DataPayload(message), ct);
        var accepted = Expect(await session.ReadReplyAsync(ct), SmtpStage.Message, 250);
        try
        {
            await session.CommandAsync("QUIT", ct);
        }
        catch (Exception e) when (e is IOException or SmtpException or TimeoutException or SocketException)
        {
            // The message was accepted with the 250 above; a connection lost at QUIT changes nothing (RFC 5321 §4.1.1.10).
            logger.LogDebug(e, "SMTP QUIT failed after the message was accepted");
        }
        return accepted;
    }

    private async Task<Dictionary<string, string>> HelloAsync(SmtpSession session, string heloName, CancellationToken ct)
    {
        var ehlo = await session.CommandAsync($"EHLO {heloName}", ct);
        if (ehlo.Code is >= 500 and <= 504)
        {
            // RFC 5321 §3.2: a server that does not know EHLO gets HELO, and offers no extensions.
            Expect(await session.CommandAsync($"HELO {heloName}", ct), SmtpStage.Ehlo, 250);
            return new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }
        Expect(ehlo, SmtpStage.Ehlo, 250);
        // The first line is the server's greeting; each further line is "KEYWORD [params]" (RFC 5321 §4.1.1.1).
        var extensions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in ehlo.Lines.Skip(1))
        {
            var trimmed = line.Trim();
            var split = trimmed.IndexOfAny([' ', '=']); // "AUTH=LOGIN" is an old, still common variant of "AUTH LOGIN"
            var keyword = split < 0 ? trimmed : trimmed[..split];
            var parameters = split < 0 ? "" : trimmed[(split + 1)..];
            if (keyword.Length == 0) continue;
            extensions[keyword] = extensions.TryGetValue(keyword, out var existing) ? existing + " " + parameters : parameters;
        }
        return extensions;
    }

    private async Task AuthenticateAsync(SmtpSession session, Dictionary<string, string> extensions, CancellationToken ct)
    {
        if (!session.IsTls && !options.AllowAuthWithoutTls)
            throw new SmtpException("Refusing to send the SMTP password without TLS (enable Smtp:StartTls or Smtp:ImplicitTls).", SmtpStage.Auth, null, transient: true);
        var mechanisms = extensions.TryGetValue("AUTH", out var m) ? m.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        if (mechanisms.Contains("PLAIN", StringComparer.OrdinalIgnoreCase))
        {
            // RFC 4616: authzid NUL authcid NUL passwd, with an empty authorization identity.
            Expect(await session.CommandAsync("AUTH PLAIN " + B64($"\0{options.UserName}\0{options.Password}"), ct, redacted: "AUTH PLAIN ****"), SmtpStage.Auth, 235);
        }
        else if (mechanisms.Contains("LOGIN", StringComparer.OrdinalIgnoreCase))
        {
            Expect(await session.CommandAsync("AUTH LOGIN", ct), SmtpStage.Auth, 334);
            Expect(await session.CommandAsync(B64(options.UserName!), ct, redacted: "****"), SmtpStage.Auth, 334);
            Expect(await session.CommandAsync(B64(options.Password ?? ""), ct, redacted: "****"), SmtpStage.Auth, 235);
        }
        else
        {
            throw new SmtpException($"The SMTP server offers no authentication mechanism Meridian supports (offered: {(mechanisms.Length == 0 ? "none" : string.Join(' ', mechanisms))}; supported: PLAIN, LOGIN).",
                SmtpStage.Auth, null, transient: true);
        }
    }

    private static SmtpReply Expect(SmtpReply reply, SmtpStage stage, params int[] expected)
    {
        if (expected.Contains(reply.Code)) return reply;
        // 5xx to the recipient or to the message itself is about this message: permanent. Anything else (4xx anywhere, or
        // a 5xx to greeting, EHLO, TLS, AUTH or MAIL FROM, which are about the server or Meridian's settings) may pass later.
        var permanent = reply.Code is >= 500 and < 600 && stage is SmtpStage.RcptTo or SmtpStage.Data or SmtpStage.Message;
        throw new SmtpException($"SMTP {StageName(stage)}: {reply}", stage, reply.Code, transient: !permanent);
    }

    private static string StageName(SmtpStage stage) => stage switch
    {
        SmtpStage.Connect => "connect",
        SmtpStage.Greeting => "greeting",
        SmtpStage.Ehlo => "EHLO",
        SmtpStage.StartTls => "STARTTLS",
        SmtpStage.Auth => "AUTH",
        SmtpStage.MailFrom => "MAIL FROM",
        SmtpStage.RcptTo => "RCPT TO",
        SmtpStage.Data => "DATA",
        _ => "end of data",
    };

    /// <summary>The EHLO argument: the configured name, this host's name if it is fully qualified, else an address literal (RFC 5321 §4.1.4).</summary>
    private string HeloName(SmtpSession session)
    {
        if (!string.IsNullOrWhiteSpace(options.HeloName)) return options.HeloName.Trim();
        var name = Dns.GetHostName();
        if (name.Contains('.', StringComparison.Ordinal)) return name;
        return session.LocalAddress is { } ip
            ? ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{ip}]" : $"[{ip}]"
            : "[127.0.0.1]";
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is not null && options.ServerCertificateThumbprint is { Length: > 0 } pinned)
        {
            var wanted = pinned.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            var cert = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
            if (string.Equals(cert.GetCertHashString(HashAlgorithmName.SHA256), wanted, StringComparison.OrdinalIgnoreCase)
                || string.Equals(cert.Thumbprint, wanted, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        logger.LogError("The SMTP server's certificate was refused ({Errors}); its SHA-256 thumbprint is {Thumbprint}",
            errors, certificate is null ? "(none)" : (certificate as X509Certificate2 ?? new X509Certificate2(certificate)).GetCertHashString(HashAlgorithmName.SHA256));
        return false;
    }

    /// <summary>
    /// The DATA payload (RFC 5321 §4.5.2): every line that starts with '.' gets a second '.', and the data ends with
    /// CRLF "." CRLF. The message must use CRLF line endings (it is rendered that way).
    /// </summary>
    internal static byte[] DataPayload(ReadOnlySpan<byte> message)
    {
        var output = new List<byte>(message.Length + 16);
        var lineStart = true;
        foreach (var b in message)
        {
            if (lineStart && b == (byte)'.') output.Add((byte)'.');
            output.Add(b);
            lineStart = b == (byte)'\n';
        }
        if (!lineStart) output.AddRange("\r\n"u8);
        output.AddRange(".\r\n"u8);
        return output.ToArray();
    }
}

/// <summary>One SMTP connection: line-oriented reading with a buffer that is dropped when TLS starts, and a time limit on every I/O.</summary>
internal sealed class SmtpSession : IAsyncDisposable
{
    private const int MaxLine = 4096;        // RFC 5321 §4.5.3.1.5 allows 512 for reply lines; be lenient with real servers
    private const int MaxReplyLines = 100;
    private readonly TcpClient _tcp;
    private readonly TimeSpan _timeout;
    private Stream _stream;
    private readonly byte[] _buffer = new byte[MaxLine * 2];
    private int _start;
    private int _end;

    private SmtpSession(TcpClient tcp, TimeSpan timeout)
    {
        _tcp = tcp;
        _timeout = timeout;
        _stream = tcp.GetStream();
    }

    public bool IsTls => _stream is SslStream;
    public IPAddress? LocalAddress => (_tcp.Client.LocalEndPoint as IPEndPoint)?.Address;

    public static async Task<SmtpSession> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(host, port, limit.Token);
            return new SmtpSession(tcp, timeout);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new SmtpException($"SMTP connect to {host}:{port} timed out after {timeout.TotalSeconds:0} s.", SmtpStage.Connect, null, transient: true);
        }
        catch (SocketException e)
        {
            tcp.Dispose();
            throw new SmtpException($"SMTP connect to {host}:{port} failed: {e.Message}", SmtpStage.Connect, null, transient: true, e);
        }
    }

    public async Task StartTlsAsync(string host, RemoteCertificateValidationCallback validate, CancellationToken ct)
    {
        // Bytes received after the 220 but before the handshake could be injected by an attacker (CVE-2011-0411 class):
        // they must not be read as if they had come over TLS.
        if (_end > _start) throw new SmtpException("The SMTP server sent data after its STARTTLS reply; connection dropped.", SmtpStage.StartTls, null, transient: true);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        using var limit = Limit(ct);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = validate,
            }, limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SmtpException("The TLS handshake with the SMTP server timed out.", SmtpStage.StartTls, null, transient: true);
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            throw new SmtpException($"TLS with the SMTP server failed: {e.Message}", SmtpStage.StartTls, null, transient: true, e);
        }
        _stream = ssl;
        _start = _end = 0;
    }

    public async Task<SmtpReply> CommandAsync(string command, CancellationToken ct, string? redacted = null)
    {
        if (command.AsSpan().IndexOfAny('\r', '\n') >= 0)
            throw new ArgumentException($"An SMTP command must be one line: {redacted ?? command}", nameof(command));
        await WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), ct);
        return await ReadReplyAsync(ct);
    }

    public async Task WriteAsync(byte[] data, CancellationToken ct)
    {
        using var limit = Limit(ct);
        try
        {
            await _stream.WriteAsync(data, limit.Token);
            await _stream.FlushAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"Writing to the SMTP server timed out after {_timeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>Reads one reply: lines "NNN-text" continue it, "NNN text" ends it; every line carries the same code.</summary>
    public async Task<SmtpReply> ReadReplyAsync(CancellationToken ct)
    {
        var lines = new List<string>();
        var code = -1;
        while (true)
        {
            var line = await ReadLineAsync(ct);
            if (line.Length < 3 || !char.IsAsciiDigit(line[0]) || !char.IsAsciiDigit(line[1]) || !char.IsAsciiDigit(line[2])
                || (line.Length > 3 && line[3] is not (' ' or '-')))
                throw new SmtpException($"The SMTP server sent a malformed reply line: '{Printable(line)}'.", SmtpStage.Connect, null, transient: true);
            var lineCode = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
            if (code >= 0 && lineCode != code)
                throw new SmtpException($"The SMTP server changed the reply code within a multi-line reply ({code}, then {lineCode}).", SmtpStage.Connect, null, transient: true);
            code = lineCode;
            lines.Add(line.Length > 4 ? line[4..] : "");
            if (line.Length == 3 || line[3] == ' ') return new SmtpReply(code, lines);
            if (lines.Count > MaxReplyLines)
                throw new SmtpException("The SMTP server sent an over-long multi-line reply.", SmtpStage.Connect, null, transient: true);
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == (byte)'\r') length--;
                var line = Encoding.UTF8.GetString(_buffer, _start, length);
                _start = newline + 1;
                return line;
            }
            if (_end - _start >= MaxLine)
                throw new SmtpException($"The SMTP server sent a line longer than {MaxLine} bytes.", SmtpStage.Connect, null, transient: true);
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            using var limit = Limit(ct);
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end), limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"The SMTP server did not answer within {_timeout.TotalSeconds:0} s.");
            }
            if (read == 0) throw new IOException("The SMTP server closed the connection.");
            _end += read;
        }
    }

    private CancellationTokenSource Limit(CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        return cts;
    }

    private static string Printable(string s) => new(s.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
