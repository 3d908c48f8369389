using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

/// <summary>A torrent's swarm as one of its peers sees it: what a <see cref="SwarmPeer"/> tells its
/// <see cref="TorrentSwarm"/>, and the swarm's state it asks for as it goes.</summary>
/// <remarks>The parts a peer uses directly (the torrent, the clock, the pieces, the policies) are handed to it once, when
/// it is made (<see cref="SwarmParts"/>). The other direction (what the swarm and the choker ask of a peer) is listed in
/// docs/ARCHITECTURE.md.</remarks>
internal interface ISwarmHost
{
    /// <summary>We still want pieces (false once complete, or for a pure seeder).</summary>
    bool Downloading { get; }

    /// <summary>Our listen port, for the extension handshake (0: not listening).</summary>
    int Port { get; }

    /// <summary>True when piece <paramref name="index"/> is on disk and may be served.</summary>
    bool CanServe(int index);

    /// <summary>Writes a line to the torrent's log (what the user sees with <c>--verbose</c>).</summary>
    void Log(string line);

    /// <summary>The one place a peer reports what became of a block it sent (see <see cref="TorrentSwarm"/>).</summary>
    ValueTask OnBlockAsync(SwarmPeer from, BlockResult result, BlockRequest block, CancellationToken ct);

    /// <summary>Something the swarm acts on changed about <paramref name="peer"/>.</summary>
    void OnPeerEvent(SwarmPeer peer, PeerEvent change);

    /// <summary>The peer told us the address it sees us at (BEP 10 <c>yourip</c>).</summary>
    void OnAddressReported(SwarmPeer peer, System.Net.IPAddress ours);

    /// <summary>The peer sent a file's piece layer that hashes up to its pieces root (BEP 52): its pieces can be requested.</summary>
    void OnLayerLearned(SwarmPeer from, int file);

    /// <summary>The peer's loops ended, always with a reason; <paramref name="fatal"/>
    /// (a disk failure) ends the whole download.</summary>
    void OnPeerEnded(SwarmPeer peer, string reason, bool violation, Exception? fatal);
}

/// <summary>What changed about a peer (<see cref="ISwarmHost.OnPeerEvent"/>).</summary>
internal enum PeerEvent
{
    /// <summary>It sent interested or not interested: an upload slot may change hands.</summary>
    InterestChanged,
    /// <summary>It has every piece now.</summary>
    BecameSeed,
    /// <summary>Its listen address became known: the other connections announce it with ut_pex.</summary>
    ListenAddressKnown,
    /// <summary>It said it wants nothing more (BEP 21 <c>upload_only</c>).</summary>
    UploadOnly,
}
