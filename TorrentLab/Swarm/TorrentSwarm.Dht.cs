using System.Net;
using TorrentLab.Dht;
using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

// The DHT as one more peer source (BEP 5): the session's one node looks this torrent up and announces it on the
// session's schedule (Session.Dht.cs); the peers it finds go into the peer book beside the tracker's. A torrent with
// trackers or peers never waits on the DHT.
internal sealed partial class TorrentSwarm
{
    /// <summary>The session's DHT looks this torrent up: the session runs a node, and the torrent is public.</summary>
    /// <remarks>BEP 27: "When a BitTorrent client obtains a metainfo file containing [private=1], it MUST ONLY announce
    /// itself to the private trackers, and MUST ONLY initiate connections to peers returned from the private trackers."</remarks>
    public bool UsesDht => _session.Settings.Dht && !Torrent.IsPrivate;

    /// <summary>The session's DHT node, once it runs (null with the DHT off, for a private torrent, or before it started).</summary>
    internal DhtNode? DhtNode => UsesDht ? _session.Dht : null;

    /// <summary>The UDP address the session's DHT listens on (null when it does not run for this torrent).</summary>
    internal IPEndPoint? DhtEndPoint => UsesDht ? _session.DhtEndPoint : null;

    /// <summary>A peer the DHT found for this torrent; true when it was new.</summary>
    public bool OnDhtPeer(IPEndPoint peer) => AddPeers([peer], PeerSource.Dht) > 0;

    /// <inheritdoc />
    public ITorrentEvents? Events => _options.Events;
}
