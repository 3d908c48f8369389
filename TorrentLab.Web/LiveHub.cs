using System.Net.WebSockets;
using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>Live updates over a WebSocket (<c>/api/live</c>): twice a second, every connected page gets the rows that
/// changed, and for the torrents it subscribed to, piece map changes, details and (if asked) the wire trace.</summary>
/// <remarks>Polling the torrents on one timer, rather than pushing from the engines' threads, keeps the engines free of
/// any web concern and bounds the message rate however fast a download goes.</remarks>
internal sealed class LiveHub : IAsyncDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(500);
    private const int MaxTracePerTick = 500; // a page shows the latest events; more would only flood a slow client
    private const int TraceHistory = 100;    // events of the past a new trace subscriber receives first

    private readonly TorrentManager _torrents;
    private readonly Action<string>? _log;
    private readonly int _requestsPerSecond;
    private readonly List<LiveClient> _clients = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _sentVersions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private int _sentListVersion = -1;

    public LiveHub(TorrentManager torrents, Action<string>? log, int requestsPerSecond)
    {
        _torrents = torrents;
        _log = log;
        _requestsPerSecond = requestsPerSecond;
        _pump = PumpAsync(_stop.Token);
    }

    /// <summary>Serves one WebSocket until it closes or the server stops.</summary>
    public async Task RunClientAsync(WebSocket socket, CancellationToken ct)
    {
        var client = new LiveClient(socket, _requestsPerSecond);
        client.Send(new LiveMessage("torrents") { Torrents = [.. _torrents.All.Select(t => t.Summary())] });
        lock (_lock) _clients.Add(client);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        try
        {
            await client.RunAsync(TraceStart, both.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock) _clients.Remove(client);
        }
    }

    /// <summary>Subscriptions held by all connected clients (for tests: they stay bounded whatever a client sends).</summary>
    internal int SubscriptionCount
    {
        get { lock (_lock) return _clients.Sum(c => c.Subscriptions().Length); }
    }

    private long? TraceStart(string infoHash) =>
        _torrents.Find(infoHash) is { } torrent ? Math.Max(0, torrent.Trace.Next - TraceHistory) : null;

    private async Task PumpAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    Tick();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A bug in one round must not end live updates for everyone: report it and go on with the next.
                    _log?.Invoke($"error: live updates: {e}");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the server is stopping
        }
    }

    /// <summary>One round of updates; internal so tests can drive it.</summary>
    internal void Tick()
    {
        LiveClient[] clients;
        lock (_lock) clients = [.. _clients];
        // Nobody watching: nothing to send (a client that connects later is sent what changed since the last round).
        if (clients.Length == 0) return;
        var torrents = _torrents.All;

        var broadcast = new List<byte[]>();
        if (_torrents.ListVersion is var listVersion && listVersion != _sentListVersion)
        {
            _sentListVersion = listVersion;
            broadcast.Add(Serialize(new LiveMessage("torrents") { Torrents = [.. torrents.Select(t => t.Summary())] }));
        }
        // The rows that changed, in one message: a page takes one task per message, and 50 downloads sent as 50
        // messages twice a second kept its main thread busy between them.
        var changed = new List<TorrentSummary>();
        foreach (var torrent in torrents)
        {
            var version = torrent.Version;
            if (_sentVersions.TryGetValue(torrent.InfoHash, out var sent) && sent == version) continue;
            _sentVersions[torrent.InfoHash] = version;
            changed.Add(torrent.Summary());
        }
        if (changed.Count > 0) broadcast.Add(Serialize(new LiveMessage("rows") { Torrents = [.. changed] }));
        foreach (var gone in _sentVersions.Keys.Except(torrents.Select(t => t.InfoHash)).ToList()) _sentVersions.Remove(gone);

        var byHash = torrents.ToDictionary(t => t.InfoHash, StringComparer.Ordinal);
        foreach (var client in clients)
        {
            foreach (var message in broadcast) client.Send(message);
            foreach (var subscription in client.Subscriptions())
                if (byHash.TryGetValue(subscription.InfoHash, out var torrent)) SendSubscribed(client, subscription, torrent);
        }
    }

    private static void SendSubscribed(LiveClient client, LiveClient.Subscription subscription, ManagedTorrent torrent)
    {
        var pieces = torrent.Pieces.ToDigits();
        if (subscription.SentPieces is not { } before || before.Length != pieces.Length)
            client.Send(new LiveMessage("pieces") { InfoHash = torrent.InfoHash, Pieces = pieces });
        else if (!string.Equals(before, pieces, StringComparison.Ordinal))
        {
            var changes = new List<int[]>();
            for (var i = 0; i < pieces.Length; i++) if (pieces[i] != before[i]) changes.Add([i, pieces[i] - '0']);
            // Many changes at once (a resume, a completion): the whole map is smaller than the list.
            client.Send(changes.Count > pieces.Length / 4
                ? new LiveMessage("pieces") { InfoHash = torrent.InfoHash, Pieces = pieces }
                : new LiveMessage("pieces") { InfoHash = torrent.InfoHash, Changes = [.. changes] });
        }
        subscription.SentPieces = pieces;

        var version = torrent.Version;
        if (version != subscription.SentVersion)
        {
            subscription.SentVersion = version;
            client.Send(new LiveMessage("detail") { InfoHash = torrent.InfoHash, Details = torrent.Details() });
        }

        if (!subscription.Trace) return;
        var (lines, skipped) = torrent.Trace.Since(subscription.TraceNext, MaxTracePerTick);
        if (skipped > 0) client.CountDropped(skipped);
        if (lines.Length == 0) return;
        subscription.TraceNext = lines[^1].Seq + 1;
        client.Send(new LiveMessage("trace") { InfoHash = torrent.InfoHash, Trace = lines });
    }

    private static byte[] Serialize(LiveMessage message) => JsonSerializer.SerializeToUtf8Bytes(message, WebJsonContext.Default.LiveMessage);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
    }
}
