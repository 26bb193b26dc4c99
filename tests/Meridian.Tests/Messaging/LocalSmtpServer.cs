using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Meridian.Tests.Messaging;

/// <summary>A message as it arrived: the envelope, the data after un-stuffing, and the exact bytes of the DATA phase on the wire.</summary>
public sealed record ReceivedMail(string Helo, string MailFrom, IReadOnlyList<string> Recipients, string Data, byte[] WireData, bool Tls, string? AuthenticatedUser)
{
    public ParsedMail Parse() => ParsedMail.Parse(Data);
}

/// <summary>
/// A small, real SMTP server for tests on 127.0.0.1 (a free port): EHLO/HELO, STARTTLS (with a self-signed certificate),
/// AUTH PLAIN and LOGIN, MAIL, RCPT, DATA (un-stuffs dots), RSET, NOOP, QUIT. It records what arrived and can be told to
/// answer a recipient with an error at RCPT or at the end of data (a number of times or always), to drop the connection
/// there, to refuse connections altogether (paused), or never to greet (to test timeouts).
/// </summary>
public sealed class LocalSmtpServer : IDisposable
{
    private TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Fault> _faults = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ReceivedMail> _received = new();
    private readonly ConcurrentQueue<string> _commands = new();
    private Task _acceptLoop = Task.CompletedTask;

    public int Port { get; }
    public X509Certificate2? Certificate { get; }
    public string? UserName { get; init; }
    public string? Password { get; init; }
    public IReadOnlyList<string> AuthMechanisms { get; init; } = ["PLAIN", "LOGIN"];
    /// <summary>Answer EHLO with 502 (a server that only knows HELO).</summary>
    public bool RejectEhlo { get; init; }
    /// <summary>Accept connections but never send the greeting.</summary>
    public bool Silent { get; set; }
    /// <summary>Greet with a multi-line 220 reply.</summary>
    public bool MultiLineGreeting { get; init; }

    public IReadOnlyCollection<ReceivedMail> Received => _received.ToArray();
    /// <summary>Every command line received, AUTH credentials redacted.</summary>
    public IReadOnlyCollection<string> Commands => _commands.ToArray();

    public LocalSmtpServer(bool tls = true)
    {
        if (tls) Certificate = CreateCertificate();
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public string CertificateThumbprint => Certificate!.GetCertHashString(HashAlgorithmName.SHA256);

    public IReadOnlyList<ReceivedMail> To(string recipient) =>
        Received.Where(m => m.Recipients.Contains(recipient, StringComparer.OrdinalIgnoreCase)).ToList();

    /// <summary>Answers RCPT TO for <paramref name="recipient"/> with <paramref name="reply"/> the next <paramref name="times"/> times (-1: always).</summary>
    public void FailRecipient(string recipient, string reply, int times = -1) => _faults[recipient] = new Fault(FaultStage.Rcpt, reply, times);

    /// <summary>Answers the end of data for <paramref name="recipient"/> with <paramref name="reply"/>.</summary>
    public void FailData(string recipient, string reply, int times = -1) => _faults[recipient] = new Fault(FaultStage.EndOfData, reply, times);

    /// <summary>After the whole message for <paramref name="recipient"/> arrived, records it and closes the connection without answering.</summary>
    public void DropAfterData(string recipient, int times = 1) => _faults[recipient] = new Fault(FaultStage.DropAfterData, null, times);

    /// <summary>Stops listening: connections are refused until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        _listener.Stop();
        _acceptLoop.Wait(TimeSpan.FromSeconds(5));
    }

    public void Resume()
    {
        // A stopped TcpListener would bind its original endpoint again, port 0: a new one on the same port instead.
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    private enum FaultStage { Rcpt, EndOfData, DropAfterData }

    private sealed class Fault(FaultStage stage, string? reply, int times)
    {
        private int _remaining = times;
        public FaultStage Stage { get; } = stage;
        public string? Reply { get; } = reply;

        public bool Take()
        {
            if (_remaining < 0) return true;
            return Interlocked.Decrement(ref _remaining) >= 0;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or OperationCanceledException or InvalidOperationException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private bool TakeFault(string recipient, FaultStage stage, out string? reply)
    {
        reply = null;
        if (!_faults.TryGetValue(recipient, out var fault) || fault.Stage != stage || !fault.Take()) return false;
        reply = fault.Reply;
        return true;
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        var session = new Session(client.GetStream());
        try
        {
            if (Silent)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token);
                return;
            }
            if (MultiLineGreeting) await session.WriteAsync("220-localhost test SMTP server\r\n220-for Meridian's tests\r\n220 ready");
            else await session.WriteAsync("220 localhost ESMTP test");
            string helo = "";
            string? mailFrom = null;
            string? user = null;
            var recipients = new List<string>();
            while (true)
            {
                var line = await session.ReadLineAsync();
                if (line is null) return;
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                _commands.Enqueue(verb == "AUTH" ? string.Join(' ', line.Split(' ').Take(2)) : session.AwaitingAuth ? "****" : line);
                if (session.AwaitingAuth)
                {
                    if (await ContinueLoginAsync(session, line) is { } u) user = u;
                    continue;
                }
                switch (verb)
                {
                    case "EHLO" when RejectEhlo:
                        await session.WriteAsync("502 5.5.1 EHLO not implemented");
                        break;
                    case "EHLO":
                        helo = line.Length > 5 ? line[5..] : "";
                        var lines = new List<string> { "localhost greets " + helo, "8BITMIME", "SIZE 10240000" };
                        if (Certificate is not null && !session.Tls) lines.Add("STARTTLS");
                        if (UserName is not null) lines.Add("AUTH " + string.Join(' ', AuthMechanisms));
                        lines.Add("HELP");
                        await session.WriteAsync(string.Join("\r\n", lines.Select((l, i) => (i == lines.Count - 1 ? "250 " : "250-") + l)));
                        break;
                    case "HELO":
                        helo = line.Length > 5 ? line[5..] : "";
                        await session.WriteAsync("250 localhost");
                        break;
                    case "STARTTLS":
                        if (Certificate is null || session.Tls) { await session.WriteAsync("502 5.5.1 not available"); break; }
                        await session.WriteAsync("220 2.0.0 ready to start TLS");
                        await session.StartTlsAsync(Certificate);
                        helo = "";
                        mailFrom = null;
                        recipients.Clear();
                        break;
                    case "AUTH":
                        user = await AuthAsync(session, line);
                        break;
                    case "MAIL":
                        if (UserName is not null && user is null) { await session.WriteAsync("530 5.7.0 Authentication required"); break; }
                        mailFrom = Path(line);
                        recipients.Clear();
                        await session.WriteAsync("250 2.1.0 Ok");
                        break;
                    case "RCPT":
                        if (mailFrom is null) { await session.WriteAsync("503 5.5.1 MAIL first"); break; }
                        var rcpt = Path(line);
                        if (TakeFault(rcpt, FaultStage.Rcpt, out var rcptReply)) { await session.WriteAsync(rcptReply!); break; }
                        recipients.Add(rcpt);
                        await session.WriteAsync("250 2.1.5 Ok");
                        break;
                    case "DATA":
                        if (recipients.Count == 0) { await session.WriteAsync("554 5.5.1 No valid recipients"); break; }
                        await session.WriteAsync("354 End data with <CR><LF>.<CR><LF>");
                        var (data, wire) = await session.ReadDataAsync();
                        var mail = new ReceivedMail(helo, mailFrom!, recipients.ToList(), data, wire, session.Tls, user);
                        if (recipients.Any(r => TakeFault(r, FaultStage.DropAfterData, out _)))
                        {
                            _received.Enqueue(mail); // the server has it; the client never hears so
                            return;
                        }
                        var endFault = recipients.Select(r => TakeFault(r, FaultStage.EndOfData, out var reply) ? reply : null).FirstOrDefault(r => r is not null);
                        if (endFault is not null) { await session.WriteAsync(endFault); break; }
                        _received.Enqueue(mail);
                        await session.WriteAsync($"250 2.0.0 Ok: queued as {Guid.NewGuid():N}");
                        mailFrom = null;
                        recipients.Clear();
                        break;
                    case "RSET":
                        mailFrom = null;
                        recipients.Clear();
                        await session.WriteAsync("250 2.0.0 Ok");
                        break;
                    case "NOOP":
                        await session.WriteAsync("250 2.0.0 Ok");
                        break;
                    case "QUIT":
                        await session.WriteAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await session.WriteAsync("500 5.5.2 Unknown command");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away or the test ended.
        }
    }

    private async Task<string?> AuthAsync(Session session, string line)
    {
        var parts = line.Split(' ');
        var mechanism = parts.Length > 1 ? parts[1].ToUpperInvariant() : "";
        if (UserName is null || !AuthMechanisms.Contains(mechanism)) { await session.WriteAsync("504 5.5.4 Unrecognized authentication type"); return null; }
        if (mechanism == "PLAIN")
        {
            var fields = Encoding.UTF8.GetString(Convert.FromBase64String(parts.Length > 2 ? parts[2] : "")).Split('\0');
            return await CheckAsync(session, fields.Length == 3 ? fields[1] : "", fields.Length == 3 ? fields[2] : "");
        }
        session.AwaitingAuth = true;
        session.LoginUser = null;
        await session.WriteAsync("334 VXNlcm5hbWU6"); // "Username:"
        return null;
    }

    private async Task<string?> ContinueLoginAsync(Session session, string line)
    {
        var value = Encoding.UTF8.GetString(Convert.FromBase64String(line.Trim()));
        if (session.LoginUser is null)
        {
            session.LoginUser = value;
            await session.WriteAsync("334 UGFzc3dvcmQ6"); // "Password:"
            return null;
        }
        session.AwaitingAuth = false;
        return await CheckAsync(session, session.LoginUser, value);
    }

    private async Task<string?> CheckAsync(Session session, string user, string password)
    {
        if (user == UserName && password == Password)
        {
            await session.WriteAsync("235 2.7.0 Authentication successful");
            return user;
        }
        await session.WriteAsync("535 5.7.8 Authentication credentials invalid");
        return null;
    }

    private static string Path(string line)
    {
        var open = line.IndexOf('<');
        var close = line.IndexOf('>', open + 1);
        return open >= 0 && close > open ? line[(open + 1)..close] : "";
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        // Through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); } catch (SocketException) { }
        Certificate?.Dispose();
    }

    private sealed class Session(Stream stream)
    {
        private Stream _stream = stream;
        public bool Tls { get; private set; }
        public bool AwaitingAuth { get; set; }
        public string? LoginUser { get; set; }

        public async Task WriteAsync(string reply)
        {
            var bytes = Encoding.ASCII.GetBytes(reply + "\r\n");
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }

        public async Task StartTlsAsync(X509Certificate2 certificate)
        {
            var ssl = new SslStream(_stream, false);
            await ssl.AuthenticateAsServerAsync(certificate, clientCertificateRequired: false, checkCertificateRevocation: false);
            _stream = ssl;
            Tls = true;
        }

        /// <summary>One line without its CRLF, or null at end of stream. Byte by byte: the test server values simplicity over speed.</summary>
        public async Task<string?> ReadLineAsync()
        {
            var bytes = await ReadRawLineAsync();
            if (bytes is null) return null;
            var length = bytes.Count;
            if (length >= 2 && bytes[length - 2] == '\r') length -= 2;
            else if (length >= 1) length -= 1;
            return Encoding.UTF8.GetString(bytes.ToArray(), 0, length);
        }

        private async Task<List<byte>?> ReadRawLineAsync()
        {
            var line = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                var n = await _stream.ReadAsync(one);
                if (n == 0) return line.Count == 0 ? null : line;
                line.Add(one[0]);
                if (one[0] == '\n') return line;
            }
        }

        /// <summary>Reads DATA up to the lone "." line: the un-stuffed message, and the raw bytes as they came.</summary>
        public async Task<(string Data, byte[] Wire)> ReadDataAsync()
        {
            var wire = new List<byte>();
            var data = new List<byte>();
            while (true)
            {
                var line = await ReadRawLineAsync() ?? throw new IOException("Connection closed during DATA.");
                wire.AddRange(line);
                if (line.Count == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') break;
                // RFC 5321 §4.5.2: a line starting with '.' had one added by the client.
                data.AddRange(line[0] == '.' ? line.Skip(1) : line);
            }
            return (Encoding.UTF8.GetString(data.ToArray()), wire.ToArray());
        }
    }
}
