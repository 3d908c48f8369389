using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>A torrent as its <see cref="Session"/> sees it: the info hashes an incoming handshake is routed by, where
/// the connection goes once the handshake is done, and the DHT's work for it.</summary>
/// <remarks>A running <see cref="TorrentSwarm"/> is one; a <see cref="SeedingTorrent"/> is another, which holds no
/// swarm at all while no peer is connected and wakes one when a peer arrives or a tracker or the DHT names peers to
/// dial. So a session of thousands of seeding torrents keeps a swarm only for those that have peers.</remarks>
internal interface ISessionTorrent
{
    /// <summary>The torrent.</summary>
    Torrent Torrent { get; }

    /// <summary>The info hashes an incoming handshake may name: a hybrid torrent's v1 hash or its truncated v2 hash
    /// (BEP 52), every other torrent's one hash.</summary>
    IReadOnlyCollection<InfoHash> IncomingHashes { get; }

    /// <summary>The options an incoming connection's handshake completes with (extensions offered, encryption).</summary>
    PeerConnectionOptions ConnectionOptions { get; }

    /// <summary>A connection whose handshake named this torrent: it becomes one of its peers.</summary>
    void AdoptIncoming(PeerConnection connection);

    /// <summary>True while the session should route peers and DHT work here.</summary>
    bool IsAttached { get; }

    /// <summary>The session's DHT looks this torrent up (the session runs a node and the torrent is public).</summary>
    bool UsesDht { get; }

    /// <summary>The session's local service discovery announces this torrent (it runs, and the torrent is public).</summary>
    bool UsesLsd { get; }

    /// <summary>A download that has no peer: the DHT looks it up again soon rather than at the regular interval.</summary>
    bool WantsPeersSoon { get; }

    /// <summary>Peers connected now.</summary>
    int ConnectedCount { get; }

    /// <summary>A peer the DHT found; true when it was new.</summary>
    bool OnDhtPeer(IPEndPoint peer);

    /// <summary>A peer heard on the local network (BEP 14); true when it was new.</summary>
    bool OnLocalPeer(IPEndPoint peer);

    /// <summary>The port the session announces changed (a router mapped it, or lost it): the trackers hear it now.</summary>
    void OnAnnouncedPortChanged();

    /// <summary>The session's bound interface is back: announce now and dial known peers again.</summary>
    void OnNetworkResumed();

    /// <summary>One line to the torrent's log.</summary>
    void Log(string line);

    /// <summary>Who hears the torrent's typed events (its handle), or null.</summary>
    Downloads.ITorrentEvents? Events { get; }
}
