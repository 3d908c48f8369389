using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace TorrentLab.Web;

/// <summary>One connected page: its WebSocket, its bounded outgoing queue and the torrents it subscribed to.</summary>
/// <remarks>Messages wait in a queue of <see cref="QueueCapacity"/>; when the client reads too slowly the oldest are
/// dropped (the server never blocks on a slow client nor grows memory for it) and a <c>lag</c> message tells the
/// client how many it lost, so it can reload the list.</remarks>
internal sealed class LiveClient
{
    public const int QueueCapacity = 256;
    private const int MaxRequestBytes = 4 * 1024; // a subscribe request is under 100 bytes
    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _queue;
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _dropped;

    public LiveClient(WebSocket socket)
    {
        _socket = socket;
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
    public async Task RunAsync(Func<string, long> traceStart, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = SendLoopAsync(stop.Token);
        try
        {
            await ReceiveLoopAsync(traceStart, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or JsonException)
        {
            // The client went away, the server is stopping, or the client sent garbage: this connection ends.
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
            try { await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", limit.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { /* already gone */ }
        }
    }

    private async Task ReceiveLoopAsync(Func<string, long> traceStart, CancellationToken ct)
    {
        var buffer = new byte[MaxRequestBytes];
        while (!ct.IsCancellationRequested)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length) throw new WebSocketException(WebSocketError.Faulted, "request over 4 KiB");
                result = await _socket.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                length += result.Count;
            } while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close) return;
            var request = JsonSerializer.Deserialize(buffer.AsSpan(0, length), WebJsonContext.Default.LiveRequest);
            if (request?.InfoHash is not { } hash) continue;
            hash = hash.ToLowerInvariant();
            lock (_lock)
            {
                if (request.Op == "subscribe") _subscriptions[hash] = new Subscription(hash, request.Trace, traceStart(hash));
                else if (request.Op == "unsubscribe") _subscriptions.Remove(hash);
            }
        }
    }

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
