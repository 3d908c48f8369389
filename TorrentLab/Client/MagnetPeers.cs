using System.Net;
using TorrentLab.Dht;
using TorrentLab.Downloads;
using TorrentLab.Magnet;
using TorrentLab.Swarm;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>The peers a magnet command asks: the link's <c>x.pe</c> addresses first, then what its trackers return,
/// and when those give none, what a DHT lookup of its info hash finds (BEP 5; a link with only <c>xt</c>).</summary>
internal static class MagnetPeers
{
    /// <summary>BEP 3 requires <c>left</c>, but a magnet link does not give the size; any positive placeholder says
    /// "not a seeder" (classroom trackers accept 999).</summary>
    private const long UnknownLeft = 999;

    /// <summary>Peers enough to fetch metadata from: the fetch tries them in turn, so more only slows the lookup's end.</summary>
    private const int EnoughDhtPeers = 8;

    /// <summary>After the first peer, how long the lookup may still add others: the fetch then starts, rather than
    /// after the lookup has waited out its slowest nodes.</summary>
    private static readonly TimeSpan MorePeersGrace = TimeSpan.FromSeconds(1);

    /// <summary>x.pe peers, then one announce to the link's trackers (each its own BEP 12 tier), then, with none found
    /// and the DHT on, a DHT lookup: on <paramref name="session"/>'s node when there is a session (its
    /// <see cref="SessionSettings.Dht"/> says whether), else on a node of its own (<see cref="DownloadOptions.Session"/>'s).
    /// A tracker failure is an error only when nothing else gave a peer.</summary>
    /// <exception cref="TrackerException">Every tracker failed and neither the link nor the DHT gave a peer.</exception>
    /// <exception cref="MetadataException">Neither trackers, peers in the link nor the DHT gave a peer.</exception>
    public static async Task<List<IPEndPoint>> FindAsync(MagnetLink link, PeerId ourId, int port, DownloadOptions options, CancellationToken ct,
        Session? session = null)
    {
        var log = options.Log;
        var settings = session?.Settings ?? options.Session;
        var dht = settings.Dht;
        bool Dialable(IPEndPoint p) => settings.MayDial(p);
        var peers = new List<IPEndPoint>(link.Peers.Where(Dialable));
        TrackerException? trackerError = null;
        if (link.Trackers.Count > 0)
        {
            using var tracker = new TrackerClient(link.Trackers.Select(t => (IReadOnlyList<string>)[t]).ToList(),
                session?.TrackerOptions ?? new TrackerClientOptions { Dialer = HostDialer.On(settings.Network), Time = settings.Time });
            try
            {
                var answer = await tracker.AnnounceAsync(
                    new AnnounceRequest(link.InfoHash, ourId, port, 0, 0, UnknownLeft, AnnounceEvent.Started), ct).ConfigureAwait(false);
                peers.AddRange(answer.Peers.Where(p => Dialable(p) && !peers.Contains(p)));
                log?.Invoke($"tracker: {answer.Peers.Count} peer(s)");
            }
            catch (TrackerException e) when (peers.Count > 0 || dht)
            {
                trackerError = e;
                log?.Invoke($"tracker failed ({e.Message})" + (peers.Count > 0 ? $"; using the {peers.Count} peer(s) from x.pe" : ""));
            }
        }
        if (peers.Count > 0) return peers;
        var dhtAsked = false;
        if (dht)
        {
            var (found, asked) = session is null
                ? await FromDhtAsync(link, options, ct).ConfigureAwait(false)
                : await FromSessionDhtAsync(link, session, options.Log, ct).ConfigureAwait(false);
            peers.AddRange(found.Where(Dialable));
            dhtAsked = asked;
        }
        if (peers.Count > 0) return peers;
        if (trackerError is not null) throw trackerError;
        // Final when nothing named could give a peer later: no tracker, no x.pe, and no DHT node to ask.
        var final = link.Trackers.Count == 0 && link.Peers.Count == 0 && !dhtAsked;
        throw new MetadataException(link.Trackers.Count > 0 ? "the link's trackers gave no peer" + (dht ? " and the DHT found none" : "")
            : dht ? "the magnet link names no tracker (tr) and no peer (x.pe), and the DHT found none"
            : "the magnet link names no tracker (tr) and no peer (x.pe), and the DHT is off (--no-dht)") { Final = final };
    }

    /// <summary>A get_peers lookup of the link's info hash from a DHT node of its own, on a free UDP port (the
    /// session-less way: the classroom commands and the single-peer reference path). The node lives for this one lookup,
    /// so it is read-only (BEP 43, <see cref="DhtNodeOptions.ReadOnly"/>): the nodes it asks answer it but keep it out of
    /// their routing tables, where it would cost each of their later lookups a timeout once this process has exited.
    /// A session's node stays, so it stays a full node.</summary>
    private static async Task<(List<IPEndPoint> Found, bool Asked)> FromDhtAsync(MagnetLink link, DownloadOptions options, CancellationToken ct)
    {
        var nodeOptions = new DhtNodeOptions
        {
            Bootstrap = [],
            StatePath = options.Session.DhtStatePath,
            LocalEndPoint = new IPEndPoint(options.Session.UdpBindAddress, 0),
            ReadOnly = true,
            Log = options.Log,
            Network = options.Session.Network,
            Clock = options.Session.Time,
        };
        var bootstrap = new List<IPEndPoint>();
        foreach (var name in options.Session.DhtBootstrap)
        {
            try { bootstrap.AddRange(await DhtNode.ResolveAsync(nodeOptions.Network, [name], nodeOptions.LoopbackOnly, ct).ConfigureAwait(false)); }
            catch (DhtException e) { options.Log?.Invoke($"dht: skipping bootstrap node: {e.Message}"); }
        }
        await using var node = await DhtNode.StartAsync(nodeOptions with { Bootstrap = [.. bootstrap.Select(b => b.ToString())] }, ct).ConfigureAwait(false);
        options.Log?.Invoke($"dht: a read-only node (BEP 43) on UDP {node.LocalEndPoint} for this lookup");
        if (bootstrap.Count == 0 && node.SavedNodeCount == 0)
        {
            options.Log?.Invoke("dht: no bootstrap node and no saved routing table: the lookup has nobody to ask");
            return ([], false);
        }
        return (await LookUpAsync(node, link, options.Log, ct).ConfigureAwait(false), true);
    }

    /// <summary>A get_peers lookup of the link's info hash from the session's DHT node (one node id, one routing table
    /// and one UDP port for every torrent and link of the session), once it has joined. Asked is false when the node
    /// does not run, or knows no node and was given no bootstrap node to learn from.</summary>
    private static async Task<(List<IPEndPoint> Found, bool Asked)> FromSessionDhtAsync(MagnetLink link, Session session,
        Action<string>? log, CancellationToken ct)
    {
        if (await session.DhtStarted.WaitAsync(ct).ConfigureAwait(false) is not { } node)
        {
            log?.Invoke("dht: the session's node does not run: no lookup");
            return ([], false);
        }
        if (node.NodeCount == 0 && session.Settings.DhtBootstrap.Count == 0)
        {
            log?.Invoke("dht: the session's node knows no other node and has no bootstrap node: the lookup has nobody to ask");
            return ([], false);
        }
        return (await LookUpAsync(node, link, log, ct).ConfigureAwait(false), true);
    }

    /// <summary>Looks the link's info hash up on <paramref name="node"/> until the lookup ends, it found
    /// <see cref="EnoughDhtPeers"/>, or <see cref="MorePeersGrace"/> passed after the first.</summary>
    private static async Task<List<IPEndPoint>> LookUpAsync(DhtNode node, MagnetLink link, Action<string>? log, CancellationToken ct)
    {
        var found = new List<IPEndPoint>();
        using var enough = new Deadline(Timeout.InfiniteTimeSpan, node.Options.Clock, ct);
        try
        {
            await foreach (var peer in node.GetPeersAsync(link.InfoHash, enough.Token).ConfigureAwait(false))
            {
                if (!found.Contains(peer)) found.Add(peer);
                if (found.Count >= EnoughDhtPeers) break;
                if (found.Count == 1) enough.CancelAfter(MorePeersGrace);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { } // the grace after the first peer ended
        log?.Invoke($"dht: {found.Count} peer(s) for {link.InfoHash}, {node.NodeCount} nodes in the table");
        return found;
    }
}
