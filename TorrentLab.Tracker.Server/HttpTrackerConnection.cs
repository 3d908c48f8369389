using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Network;

namespace TorrentLab.Tracker.Server;

/// <summary>One HTTP/1.1 connection to the tracker: reads request heads, answers each from the
/// <see cref="HttpTrackerEndpoint"/>, and keeps the connection for the next request until the client closes it, asks
/// to close it, sends something the tracker refuses, or stays silent too long.</summary>
/// <remarks>
/// Requests are answered in order, one at a time (several sent at once, pipelined, are answered in turn). A connection
/// owns a receive buffer that starts at 2 KiB and grows to at most <see cref="HttpRequestHead.MaxLength"/> for a long
/// head, and an answer buffer sized to its largest answer; a keep-alive announce allocates neither again.
/// </remarks>
internal sealed class HttpTrackerConnection(Stream stream, IPAddress remote, HttpTrackerEndpoint endpoint, TrackerServerOptions options)
{
    private const int InitialBuffer = 2 * 1024; // an announce's head is 300-600 bytes
    private const long NoHead = long.MinValue;  // _headSince while no head is pending

    private readonly TimeProvider _time = options.Time;
    private readonly Action<string>? _log = options.Log;
    private byte[] _received = new byte[InitialBuffer];
    private byte[] _answer = new byte[InitialBuffer];
    private long _lastActive = options.Time.GetTimestamp();
    private long _headSince = options.Time.GetTimestamp(); // a new connection is there to send a head: its clock runs
    private int _served, _closed;

    /// <summary>The client's address (an IPv4-mapped one as IPv4): what its connection budget is counted by.</summary>
    public IPAddress Remote { get; } = remote;

    /// <summary>When the connection was accepted (a timestamp of <see cref="TrackerServerOptions.Time"/>).</summary>
    public long Accepted { get; } = options.Time.GetTimestamp();

    /// <summary>When the connection last received or sent (a timestamp of <see cref="TrackerServerOptions.Time"/>).</summary>
    public long LastActive => Volatile.Read(ref _lastActive);

    /// <summary>When the head being read began (a timestamp of <see cref="TrackerServerOptions.Time"/>), or null while
    /// no head is pending (answering, or idle between keep-alive requests).</summary>
    public long? HeadSince => Volatile.Read(ref _headSince) is var since && since != NoHead ? since : null;

    /// <summary>Whether no request has been completed yet: a stranger, the first to yield its place.</summary>
    public bool IsStranger => Volatile.Read(ref _served) == 0;

    /// <summary>Closes the connection; a receive or send under way ends with an exception that ends the loop.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0) stream.Dispose();
    }

    /// <summary>Answers requests until the connection ends; never throws.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var filled = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                HttpRequestHead head;
                bool complete;
                try
                {
                    complete = HttpRequestHead.TryRead(_received.AsSpan(0, filled), out head);
                }
                catch (HttpRequestHeadException e)
                {
                    _log?.Invoke($"rejected http request from {Remote}: {e.Message}");
                    await SendAsync(e.StatusCode, Encoding.UTF8.GetBytes(e.Message), keepAlive: false, ct).ConfigureAwait(false);
                    await LingerAsync(ct).ConfigureAwait(false);
                    return;
                }
                if (!complete)
                {
                    if (filled == _received.Length) Array.Resize(ref _received, Math.Min(2 * _received.Length, HttpRequestHead.MaxLength));
                    var read = await stream.ReadAsync(_received.AsMemory(filled), ct).ConfigureAwait(false);
                    if (read == 0) return; // the client closed its side
                    if (filled == 0 && HeadSince is null) Volatile.Write(ref _headSince, _time.GetTimestamp()); // a new head begins
                    filled += read;
                    Volatile.Write(ref _lastActive, _time.GetTimestamp());
                    continue;
                }
                Volatile.Write(ref _headSince, NoHead); // complete: the head deadline no longer runs while we answer
                Volatile.Write(ref _served, 1);    // no stranger now (marked before the answer leaves, which the client may read at once)
                HttpAnswer answer;
                try
                {
                    answer = endpoint.Answer(head.Target(_received), Remote);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A bug of ours must not end the server's other connections: this one answers 500, as a web
                    // server would, and closes.
                    _log?.Invoke($"internal error answering {Remote}: {e.Message}");
                    await SendAsync(500, Encoding.UTF8.GetBytes("internal error"), keepAlive: false, ct).ConfigureAwait(false);
                    return;
                }
                if (answer.Drop) return;
                if (answer.Delay > TimeSpan.Zero) await Task.Delay(answer.Delay, _time, ct).ConfigureAwait(false);
                await SendAsync(answer.Status, answer.Body, head.KeepAlive, ct).ConfigureAwait(false);
                if (!head.KeepAlive)
                {
                    await LingerAsync(ct).ConfigureAwait(false);
                    return;
                }
                // Keep what came after this head (a pipelined request) at the start of the buffer.
                _received.AsSpan(head.Length, filled - head.Length).CopyTo(_received);
                filled -= head.Length;
                if (filled > 0) Volatile.Write(ref _headSince, _time.GetTimestamp()); // the next head has begun
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, the idle sweep closed the connection, or the server is stopping.
        }
        finally
        {
            Close();
        }
    }

    // RFC 9112 section 9.6: closing with unread input makes the kernel send a reset, which can destroy the answer
    // before the client reads it. So the sending side is closed first and what the client still sends is read and
    // dropped until it closes too, at most 64 KiB and 2 seconds.
    private async ValueTask LingerAsync(CancellationToken ct)
    {
        HalfClose.CloseSending(stream);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var timer = _time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), limit, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        for (var drained = 0; drained < 64 * 1024;)
        {
            var read = await stream.ReadAsync(_received, limit.Token).ConfigureAwait(false);
            if (read == 0) return;
            drained += read;
        }
    }

    // HTTP/1.1 <status> <reason>, Content-Type, Content-Length, then the body: one send, so that no answer waits for
    // Nagle's algorithm between its head and its body.
    private async ValueTask SendAsync(int status, byte[] body, bool keepAlive, CancellationToken ct)
    {
        var head = $"HTTP/1.1 {status} {Reason(status)}\r\n{(status == 405 ? "Allow: GET\r\n" : "")}" +
            $"{(keepAlive ? "" : "Connection: close\r\n")}Content-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n";
        var length = Encoding.ASCII.GetByteCount(head) + body.Length;
        if (_answer.Length < length) _answer = new byte[Math.Max(length, 2 * _answer.Length)];
        var written = Encoding.ASCII.GetBytes(head, _answer);
        body.CopyTo(_answer, written);
        await stream.WriteAsync(_answer.AsMemory(0, length), ct).ConfigureAwait(false);
        Volatile.Write(ref _lastActive, _time.GetTimestamp());
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    };
}
