using TorrentLab.Extensions;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;

namespace TorrentLab.Swarm;

/// <summary>A torrent's swarm as one of its peers sees it: all a <see cref="SwarmPeer"/> may read from or tell its
/// <see cref="TorrentSwarm"/>, and nothing more.</summary>
/// <remarks>The other direction (what the swarm and the choker ask of a peer) is listed in docs/ARCHITECTURE.md.</remarks>
internal interface ISwarmHost
{
    /// <summary>The torrent (piece lengths, info hash, private flag).</summary>
    Torrent Torrent { get; }

    /// <summary>The swarm's clock (its session's): the peer reads the time, stamps events and waits through it only.</summary>
    TimeProvider Time { get; }

    /// <summary>Where the peer asks for work and files the blocks it receives.</summary>
    PieceManager Pieces { get; }

    /// <summary>Where the blocks the peer serves are read from.</summary>
    IPieceStorage Storage { get; }

    /// <summary>Serves the info dictionary to ut_metadata requests (BEP 9).</summary>
    MetadataServer Metadata { get; }

    /// <summary>Our listen port, for the extension handshake (0: not listening).</summary>
    int Port { get; }

    /// <summary>We still want pieces (false once complete, or for a pure seeder).</summary>
    bool Downloading { get; }

    /// <summary>Token buckets for the payload we request and send (null: unlimited).</summary>
    Downloads.RateLimit? DownloadLimit { get; }
    Downloads.RateLimit? UploadLimit { get; }

    /// <summary>Whose turn it is to take the upload limit's tokens (<see cref="UploadTurns"/>).</summary>
    UploadTurns Turns { get; }

    /// <summary>Writes a line to the torrent's log (what the user sees with <c>--verbose</c>).</summary>
    void Log(string line);

    /// <summary>True when piece <paramref name="index"/> is on disk and may be served.</summary>
    bool CanServe(int index);

    /// <summary>BEP 16 super-seeding: which pieces a super-seeded peer may ask for, and what it announces.</summary>
    SuperSeeding SuperSeed { get; }

    /// <summary>A lone seed's first copy (which requests go first, told of every piece the peer announces), while the
    /// swarm seeds every piece from the start; null otherwise.</summary>
    FirstCopy? FirstCopy { get; }

    /// <summary>The peer asked for a block of piece <paramref name="index"/>: the first-copy rule notes who takes which
    /// piece first, and may suggest the peer its next.</summary>
    void FirstCopyAsked(SwarmPeer peer, int index);

    /// <summary>Where the peer counts the payload it moves (<see cref="SwarmProgress.Transferred"/>) and says it started
    /// delivering blocks (its first after a pause), and reads how many peers deliver now (they share the requests in flight).</summary>
    SwarmProgress Progress { get; }

    /// <summary>The one place a peer reports what became of a block it sent (see <see cref="TorrentSwarm"/>).</summary>
    ValueTask OnBlockAsync(SwarmPeer from, BlockResult result, BlockRequest block, CancellationToken ct);

    /// <summary>Something the swarm acts on changed about <paramref name="peer"/>.</summary>
    void OnPeerEvent(SwarmPeer peer, PeerEvent change);

    /// <summary>Peer exchange (BEP 11): the swarm fills a peer's exchange with the peers it knows, and dials those it names.</summary>
    PeerExchange PeerExchange { get; }

    /// <summary>ut_holepunch (BEP 55): a rendezvous to relay, a connect to dial, or an error.</summary>
    Holepunching Holepunching { get; }

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
