using System.Text;

namespace TorrentLab.Tracker.Server;

/// <summary>The head of one HTTP/1.x request, as much of it as a tracker needs: where the target lies in the bytes,
/// whether the connection stays open after the answer, and how many bytes the head took.</summary>
/// <remarks>
/// RFC 9112 section 2.1 and 3:
/// <code>
/// request  = request-line CRLF *( field-line CRLF ) CRLF
/// request-line = method SP request-target SP HTTP-version      "GET /announce?info_hash=... HTTP/1.1"
/// field-line   = field-name ":" OWS field-value OWS             "Host: 127.0.0.1:6969"
/// </code>
/// A tracker answers GET only, never reads a body, and looks at three fields: <c>Host</c> (required by HTTP/1.1, any
/// value accepted: libtorrent writes an IPv6 host without brackets, <c>Host: ::1:6969</c>), <c>Connection</c>, and
/// <c>Content-Length</c> / <c>Transfer-Encoding</c> (to refuse a body). Simplification: a line ends with CRLF only;
/// RFC 9112 section 2.2 lets a server accept a bare LF, and this one refuses it.
/// </remarks>
internal readonly record struct HttpRequestHead(int Length, int TargetStart, int TargetLength, bool KeepAlive)
{
    /// <summary>The longest head accepted, 16 KiB: an announce takes well under 1 KiB, a scrape of 200 torrents 14.</summary>
    public const int MaxLength = 16 * 1024;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    /// <summary>The request target (<c>/announce?...</c>) within the bytes the head was read from.</summary>
    public ReadOnlySpan<byte> Target(ReadOnlySpan<byte> buffer) => buffer.Slice(TargetStart, TargetLength);

    /// <summary>Reads the head at the start of <paramref name="buffer"/>. Returns false, having read nothing, while the
    /// blank line that ends it has not arrived.</summary>
    /// <exception cref="HttpRequestHeadException">The head breaks HTTP/1.1 or asks what a tracker does not do; its
    /// status code is the answer to send before closing the connection.</exception>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out HttpRequestHead head)
    {
        head = default;
        var end = buffer.IndexOf(EndOfHead);
        if (end < 0 ? buffer.Length >= MaxLength : end + EndOfHead.Length > MaxLength)
            throw new HttpRequestHeadException(431, $"the request head is longer than {MaxLength} bytes", MaxLength);
        if (end < 0) return false;

        var lineEnd = buffer.IndexOf(Crlf);
        var (targetStart, targetLength, http11) = ReadRequestLine(buffer[..lineEnd]);
        var keepAlive = http11; // RFC 9112 section 9.3: HTTP/1.1 persists by default, HTTP/1.0 only when asked
        var hosts = 0;
        var position = lineEnd + Crlf.Length;
        while (position < end + Crlf.Length)
        {
            var length = buffer[position..].IndexOf(Crlf);
            var line = buffer.Slice(position, length);
            var colon = line.IndexOf((byte)':');
            // RFC 9112 section 5.2: a server "MUST either reject the message by sending a 400 (Bad Request) ... or
            // replace each received obs-fold with one or more SP octets"; this one rejects.
            if (line[0] is (byte)' ' or (byte)'\t')
                throw new HttpRequestHeadException(400, $"a header line folded onto the next (obs-fold) at byte {position}", position);
            // RFC 9112 section 5.1: "A server MUST reject, with a response status code of 400 (Bad Request), any
            // received request message that contains whitespace between a header field name and colon."
            if (colon <= 0 || !IsToken(line[..colon]))
                throw new HttpRequestHeadException(400, $"expected a header line 'name: value' at byte {position}", position);
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            // RFC 9110 section 5.5: field values with CR, LF or NUL "MUST either reject the message or replace each of
            // those characters with SP"; a lone LF (a line end this server does not accept) is refused here.
            if (value.IndexOfAny("\r\n\0"u8) is var bad and >= 0)
                throw new HttpRequestHeadException(400, $"a control character in the value of a header at byte {position + colon + 1 + bad}", position);
            if (Ascii.EqualsIgnoreCase(name, "host"u8)) hosts++;
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8)) keepAlive = KeepsAlive(value, keepAlive);
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)
                || (Ascii.EqualsIgnoreCase(name, "content-length"u8) && !value.SequenceEqual("0"u8)))
                throw new HttpRequestHeadException(400, $"a tracker request has no body, got a '{Latin1(name)}' header at byte {position}", position);
            position += length + Crlf.Length;
        }
        // RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
        // message that lacks a Host header field and to any request message that contains more than one Host header field".
        if ((http11 && hosts == 0) || hosts > 1)
            throw new HttpRequestHeadException(400, $"expected one Host header, got {hosts}", lineEnd);
        head = new HttpRequestHead(end + EndOfHead.Length, targetStart, targetLength, keepAlive);
        return true;
    }

    // "GET /announce?x=1 HTTP/1.1": the target's place, and whether the version is 1.1 (else 1.0).
    private static (int Start, int Length, bool Http11) ReadRequestLine(ReadOnlySpan<byte> line)
    {
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
            throw new HttpRequestHeadException(400, $"expected 'METHOD TARGET HTTP/1.1' as the request line, got '{Latin1(line[..Math.Min(line.Length, 64)])}'", 0);
        var method = line[..firstSpace];
        var target = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        if (!IsToken(method))
            throw new HttpRequestHeadException(400, $"expected a method name at byte 0, got '{Latin1(method)}'", 0);
        // Visible characters only: a space inside the target would have made it three words; a control byte is refused.
        // Bytes of 0x80 and above pass, as sloppy clients send raw UTF-8 (the query decoder keeps them).
        if (target.IndexOfAnyInRange((byte)0, (byte)0x20) is var control and >= 0 || (control = target.IndexOf((byte)0x7F)) >= 0)
            throw new HttpRequestHeadException(400, $"a control byte in the request target at byte {firstSpace + 1 + control}", firstSpace + 1 + control);
        var http11 = version.SequenceEqual("HTTP/1.1"u8);
        if (!http11 && !version.SequenceEqual("HTTP/1.0"u8))
        {
            var isHttp = version.Length == 8 && version.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)version[5]) && version[6] == '.' && char.IsAsciiDigit((char)version[7]);
            throw new HttpRequestHeadException(isHttp ? 505 : 400, $"expected HTTP/1.1 or HTTP/1.0 at byte {lastSpace + 1}, got '{Latin1(version)}'", lastSpace + 1);
        }
        // RFC 9110 section 15.5.6: a 405 answer "MUST generate an Allow header field" (the connection writes "Allow: GET").
        if (!method.SequenceEqual("GET"u8))
            throw new HttpRequestHeadException(405, $"a tracker answers GET only, got {Latin1(method)}", 0);
        return (firstSpace + 1, target.Length, http11);
    }

    // "Connection: close" closes; "Connection: keep-alive" keeps an HTTP/1.0 connection (a comma-separated token list).
    private static bool KeepsAlive(ReadOnlySpan<byte> value, bool current)
    {
        foreach (var range in value.Split((byte)','))
        {
            var option = value[range].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(option, "close"u8)) return false;
            if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8)) current = true;
        }
        return current;
    }

    // RFC 9110 section 5.6.2: token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    // "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b))) return false;
        return !text.IsEmpty;
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
