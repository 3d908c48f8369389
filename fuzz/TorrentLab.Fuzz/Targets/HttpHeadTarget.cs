using System.Text;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Fuzz.Targets;

/// <summary>The head of an HTTP request as our tracker reads it from a connection (RFC 9112), then the query of its
/// target. Either read, incomplete, or an <see cref="HttpRequestHeadException"/> with a status the connection answers;
/// a query breaks only with a <see cref="TrackerException"/>.</summary>
/// <remarks>What must hold: a head read lies within the input and within <see cref="HttpRequestHead.MaxLength"/>, its
/// target within the head; reading the head's own bytes gives the same head (what follows it, a pipelined request,
/// changes nothing), and one byte fewer is incomplete, having read nothing; an input that is incomplete has no blank
/// line that ends a head.</remarks>
internal static class HttpHeadTarget
{
    public static FuzzTarget Target { get; } = new("httphead", "an HTTP request head sent to our tracker, then its query", Run, Seeds);

    private static void Run(byte[] input)
    {
        HttpRequestHead head;
        try
        {
            if (!HttpRequestHead.TryRead(input, out head))
            {
                if (input.AsSpan().IndexOf("\r\n\r\n"u8) >= 0) throw new InvalidOperationException("incomplete, though the blank line that ends a head came");
                if (head != default) throw new InvalidOperationException($"incomplete, yet read {head}");
                return;
            }
        }
        catch (HttpRequestHeadException e)
        {
            if (e.StatusCode is not (400 or 405 or 431 or 505)) throw new InvalidOperationException($"status {e.StatusCode} for: {e.Message}");
            if (e.Offset < 0 || e.Offset > input.Length) throw new InvalidOperationException($"offset {e.Offset} of {input.Length} bytes");
            return;
        }
        if (head.Length <= 0 || head.Length > input.Length || head.Length > HttpRequestHead.MaxLength
            || head.TargetStart <= 0 || head.TargetLength <= 0 || head.TargetStart + head.TargetLength > head.Length)
            throw new InvalidOperationException($"{head} does not lie within its {input.Length} bytes");
        if (!HttpRequestHead.TryRead(input.AsSpan(0, head.Length), out var alone) || alone != head)
            throw new InvalidOperationException($"its own bytes read as {alone}, not {head}");
        if (HttpRequestHead.TryRead(input.AsSpan(0, head.Length - 1), out var shorter) || shorter != default)
            throw new InvalidOperationException("one byte short of its blank line, the head still read");

        var target = head.Target(input);
        var question = target.IndexOf((byte)'?');
        try
        {
            var query = TrackerQuery.Parse(question < 0 ? [] : target[question..]);
            _ = query.All("info_hash").Count;
            _ = query.Text("port");
        }
        catch (TrackerException) { }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        const string hash = "info_hash=%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14";
        yield return ("announce", Ascii($"GET /announce?{hash}&peer_id=-TL0100-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=100&compact=1&event=started HTTP/1.1\r\nHost: 127.0.0.1:6969\r\nUser-Agent: TorrentLab/0.1\r\nAccept-Encoding: gzip\r\n\r\n"));
        yield return ("scrape", Ascii($"GET /scrape?{hash}&{hash} HTTP/1.1\r\nHost: tracker.example\r\n\r\n"));
        yield return ("http10-keep-alive", Ascii("GET /announce?port=1&left=0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        yield return ("close", Ascii("GET /announce HTTP/1.1\r\nHost: ::1:6969\r\nConnection: close\r\n\r\n"));
        yield return ("pipelined", Ascii("GET /announce?a=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /scrape?b=%41+ HTTP/1.1\r\nHost: h\r\n\r\n"));
        yield return ("incomplete", Ascii("GET /announce?info_hash=%4"));
        yield return ("post", Ascii("POST /announce HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"));
        yield return ("folded", Ascii("GET /announce HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n b\r\n\r\n"));
        yield return ("http2", Ascii("GET /announce HTTP/2.0\r\nHost: h\r\n\r\n"));
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
