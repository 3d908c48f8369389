using System.Net;
using System.Net.Sockets;
using TorrentLab.Dht;
using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

// The DHT as one more peer source (BEP 5): a node on the UDP port numbered like the peer listener, regular get_peers
// lookups for the torrent whose peers go into the peer book beside the tracker's, and an announce_peer after each
// lookup so others find us. Everything here runs in the background: a session with trackers or peers never waits on
// the DHT, and a DHT that cannot start (port taken, no bootstrap node resolves) only logs why.
internal sealed partial class TorrentSwarm
{
    /// <summary>Between lookups while no peer is connected: soon, so a trackerless torrent starts quickly.</summary>
    private static readonly TimeSpan DhtRetry = TimeSpan.FromSeconds(20);

    /// <summary>Between lookups (and announces) otherwise: well inside the half hour after which nodes forget a peer.</summary>
    private static readonly TimeSpan DhtInterval = TimeSpan.FromMinutes(5);

    private UdpEndpoint? _udp;
    private DhtNode? _dht;

    /// <summary>The DHT node, once it runs (null with the DHT off, for a private torrent, or before it started).</summary>
    internal DhtNode? DhtNode => Volatile.Read(ref _dht);

    /// <summary>The UDP address the DHT listens on (null when it does not run).</summary>
    internal IPEndPoint? DhtEndPoint => _udp?.LocalEndPoint;

    private void StartDht(CancellationToken ct)
    {
        // BEP 27: "When a BitTorrent client obtains a metainfo file containing [private=1], it MUST ONLY announce
        // itself to the private trackers, and MUST ONLY initiate connections to peers returned from the private trackers."
        if (!_options.Dht || Torrent.IsPrivate) return;
        if (_listener?.Utp is not { } socket)
        {
            _log?.Invoke($"dht: off, UDP port {Port} could not be bound");
            return;
        }
        _udp = UdpEndpoint.Over(socket);
        _tasks.Add(RunDhtAsync(_udp, ct));
    }

    private async Task RunDhtAsync(UdpEndpoint udp, CancellationToken ct)
    {
        var options = new DhtNodeOptions { Bootstrap = _options.DhtBootstrap, StatePath = _options.DhtStatePath, LocalEndPoint = udp.LocalEndPoint, Log = _log };
        try
        {
            var bootstrap = await ResolveBootstrapAsync(options, ct).ConfigureAwait(false);
            var node = new DhtNode(options, udp);
            udp.Krpc = node.Receive;
            node.Join(bootstrap);
            Volatile.Write(ref _dht, node);
            _log?.Invoke($"dht: node {node.Id.Hex[..8]}.. on UDP {udp.LocalEndPoint}, {node.SavedNodeCount} saved nodes, {bootstrap.Count} bootstrap nodes");
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var found = 0;
                    await foreach (var peer in node.GetPeersAsync(Torrent.InfoHash, ct).ConfigureAwait(false))
                        if (_book.Add([peer], PeerSource.Dht) > 0) { found++; WakeDialer(); }
                    var announced = await node.AnnounceAsync(Torrent.InfoHash, Port, ct: ct).ConfigureAwait(false);
                    _log?.Invoke($"dht: {found} new peer(s), announced to {announced} node(s), {node.NodeCount} nodes in the table");
                }
                catch (DhtException e) { _log?.Invoke($"dht: lookup failed: {e.Message}"); }
                await Task.Delay(ConnectedCount == 0 ? DhtRetry : DhtInterval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>The bootstrap nodes that resolve; each one that does not is logged and skipped (a DHT with only its
    /// saved table, or no node at all, is still a correct start).</summary>
    private async Task<List<IPEndPoint>> ResolveBootstrapAsync(DhtNodeOptions options, CancellationToken ct)
    {
        var resolved = new List<IPEndPoint>();
        foreach (var name in options.Bootstrap)
        {
            try { resolved.AddRange(await DhtNode.ResolveAsync([name], options.LoopbackOnly, ct).ConfigureAwait(false)); }
            catch (DhtException e) { _log?.Invoke($"dht: skipping bootstrap node: {e.Message}"); }
        }
        return resolved;
    }

    /// <summary>Stops the node (which saves its routing table), then the UDP socket.</summary>
    private async Task StopDhtAsync()
    {
        if (Volatile.Read(ref _dht) is { } node) await node.DisposeAsync().ConfigureAwait(false);
        if (_udp is not null) await _udp.DisposeAsync().ConfigureAwait(false);
    }
}
