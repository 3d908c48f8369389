using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using System.Threading.RateLimiting;

namespace TorrentLab.Web;

/// <summary>One connected page: its WebSocket, its bounded outgoing queue and the torrents it subscribed to.</summary>
/// <remarks>Messages wait in a queue of <see cref="QueueCapacity"/>; when the client reads too slowly the oldest are
/// dropped (the server never blocks on a slow client nor grows memory for it) and a <c>lag</c> message tells the
/// client how many it lost, so it can reload the list. What a client sends is bounded too: requests of at most 4 KiB,
/// subscriptions only to torrents that exist and at most <see cref="MaxSubscriptions"/> of them, and a request rate
/// (a <see cref="TokenBucketRateLimiter"/> per connection: the rate a second, bursts of twice that); a client over the
/// rate is disconnected with close status 1008 (policy violation).</remarks>
internal sealed class LiveClient
{
    public const int QueueCapacity = 256;
    public const int MaxSubscriptions = 8; // the page follows one torrent at a time
    private const int MaxRequestBytes = 4 * 1024; // a subscribe request is under 100 bytes
    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _queue;
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly int _requestsPerSecond;
    private long _dropped;

    public LiveClient(WebSocket socket, int requestsPerSecond)
    {
        _socket = socket;
        _requestsPerSecond = requestsPerSecond;
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Messages lost so far (dropped from the queue, or trace events the client fell behind on).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a message; never blocks.</summary>
    public void Send(byte[] message) => _queue.Writer.TryWrite(message);

    public void Send(LiveMessage message) => Send(JsonSerializer.SerializeToUtf8Bytes(message, WebJsonContext.Default.LiveMessage));

    public void CountDropped(long count) => Interlocked.Add(ref _dropped, count);

    /// <summary>The subscriptions, copied (the pump works on them outside the lock).</summary>
    public Subscription[] Subscriptions() { lock (_lock) return [.. _subscriptions.Values]; }

    /// <summary>Reads requests and writes queued messages until the socket closes or the server stops.</summary>
    /// <remarks><c>traceStart</c> gives the trace sequence number a new subscription starts at, or null when no torrent
    /// has that info hash (the subscription is refused).</remarks>
    public async Task RunAsync(Func<string, long?> traceStart, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = SendLoopAsync(stop.Token);
        var close = (Status: WebSocketCloseStatus.NormalClosure, Reason: "bye");
        try
        {
            close = await ReceiveLoopAsync(traceStart, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away or the server is stopping: this connection ends.
        }
        finally
        {
            _queue.Writer.TryComplete();
            await stop.CancelAsync().ConfigureAwait(false);
            try { await sending.ConfigureAwait(false); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { /* the socket is closing anyway */ }
        }
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseOutputAsync(close.Status, close.Reason, limit.Token).ConfigureAwait(false);
                // Let the client read the close frame: drop what it still sends until it answers, for at most 2 s.
                var sink = new byte[MaxRequestBytes];
                while (_socket.State == WebSocketState.CloseSent)
                    if ((await _socket.ReceiveAsync(sink.AsMemory(), limit.Token).ConfigureAwait(false)).MessageType == WebSocketMessageType.Close) break;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { /* already gone */ }
        }
    }

    private async Task<(WebSocketCloseStatus, string)> ReceiveLoopAsync(Func<string, long?> traceStart, CancellationToken ct)
    {
        var buffer = new byte[MaxRequestBytes];
        using var requests = RequestLimiter(_requestsPerSecond);
        while (!ct.IsCancellationRequested)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length) return (WebSocketCloseStatus.MessageTooBig, "request over 4 KiB");
                result = await _socket.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                length += result.Count;
            } while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close) break;
            using var allowed = requests.AttemptAcquire();
            if (!allowed.IsAcquired)
                return (WebSocketCloseStatus.PolicyViolation, $"more than {_requestsPerSecond} requests a second");
            LiveRequest? request;
            try { request = JsonSerializer.Deserialize(buffer.AsSpan(0, length), WebJsonContext.Default.LiveRequest); }
            catch (JsonException) { return (WebSocketCloseStatus.InvalidPayloadData, "a request must be JSON"); }
            if (Handle(request, traceStart) is { } refusal) Send(new LiveMessage("error") { Error = refusal });
        }
        return (WebSocketCloseStatus.NormalClosure, "bye");
    }

    /// <summary>Applies one request; returns why it was refused, or null.</summary>
    private string? Handle(LiveRequest? request, Func<string, long?> traceStart)
    {
        if (request is null || request.Op is not ("subscribe" or "unsubscribe"))
            return "expected {\"op\": \"subscribe\" or \"unsubscribe\", \"infoHash\": ...}";
        if (request.InfoHash is not { } hash || !TorrentManager.IsInfoHash(hash))
            return "'infoHash' must be 40 hex digits (a v1 info hash) or 64 (v2)";
        hash = hash.ToLowerInvariant();
        lock (_lock)
        {
            if (request.Op == "unsubscribe")
            {
                _subscriptions.Remove(hash);
                return null;
            }
            if (!_subscriptions.ContainsKey(hash) && _subscriptions.Count >= MaxSubscriptions)
                return $"at most {MaxSubscriptions} subscriptions per connection: unsubscribe first";
        }
        if (traceStart(hash) is not { } next) return $"no torrent with info hash '{hash}'";
        lock (_lock) _subscriptions[hash] = new Subscription(hash, request.Trace, next);
        return null;
    }

    /// <summary>One connection's request budget: full at the start (twice the rate), refilled by the rate each second,
    /// no queue (a request over it is refused at once, and the client disconnected).</summary>
    private static TokenBucketRateLimiter RequestLimiter(int perSecond) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = (int)Math.Min(2L * perSecond, int.MaxValue),
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1), // one timer tick a second per connection, not one per token
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    private async Task SendLoopAsync(CancellationToken ct)
    {
        long reported = 0;
        while (await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (_queue.Reader.TryRead(out var message))
            {
                if (Dropped is var dropped && dropped != reported)
                {
                    reported = dropped;
                    var lag = JsonSerializer.SerializeToUtf8Bytes(new LiveMessage("lag") { Dropped = dropped }, WebJsonContext.Default.LiveMessage);
                    await _socket.SendAsync(lag, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                }
                await _socket.SendAsync(message, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What a client has been sent about one subscribed torrent, so the next message carries only changes.</summary>
    public sealed class Subscription(string infoHash, bool trace, long traceNext)
    {
        public string InfoHash { get; } = infoHash;
        public bool Trace { get; } = trace;
        public long TraceNext { get; set; } = traceNext;
        public string? SentPieces { get; set; }
        public int SentVersion { get; set; } = -1;
    }
}
