using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;

namespace TorrentLab.Swarm;

/// <summary>The parts of a torrent's swarm that its peers use directly: made once by the <see cref="TorrentSwarm"/> and
/// handed to each <see cref="SwarmPeer"/> when it is made. What a peer tells its swarm goes through
/// <see cref="ISwarmHost"/>.</summary>
/// <remarks>A class, not a record: two parts are made only when a peer first needs them, and parts have no value
/// equality.</remarks>
internal sealed class SwarmParts
{
    private MetadataServer? _metadata;
    private UploadTurns? _turns;

    /// <summary>The torrent (piece lengths, info hash, private flag).</summary>
    public required Torrent Torrent { get; init; }

    /// <summary>The swarm's clock (its session's): the peer reads the time, stamps events and waits through it only.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>Where the peer asks for work and files the blocks it receives.</summary>
    public required PieceManager Pieces { get; init; }

    /// <summary>Where the blocks the peer serves are read from.</summary>
    public required IPieceStorage Storage { get; init; }

    /// <summary>Where the peer counts the payload it moves (<see cref="SwarmProgress.Transferred"/>) and says it started
    /// delivering blocks (its first after a pause), and reads how many peers deliver now (they share the requests in
    /// flight).</summary>
    public required SwarmProgress Progress { get; init; }

    /// <summary>Token buckets for the payload we request and send (null: unlimited).</summary>
    public required RateLimit? DownloadLimit { get; init; }
    public required RateLimit? UploadLimit { get; init; }

    /// <summary>BEP 16 super-seeding: which pieces a super-seeded peer may ask for, and what it announces.</summary>
    public required SuperSeeding SuperSeed { get; init; }

    /// <summary>A lone seed's first copy: its rule (<see cref="FirstCopyPacing.Rule"/>, null unless the swarm seeds every
    /// piece from the start) is told of every piece the peer announces and orders its upload queue; each request the
    /// peer makes is noted (<see cref="FirstCopyPacing.Asked"/>), which may suggest the peer its next.</summary>
    public required FirstCopyPacing FirstCopy { get; init; }

    /// <summary>Peer exchange (BEP 11): the swarm fills a peer's exchange with the peers it knows, and dials those it
    /// names.</summary>
    public required PeerExchange PeerExchange { get; init; }

    /// <summary>ut_holepunch (BEP 55): a rendezvous to relay, a connect to dial, or an error.</summary>
    public required Holepunching Holepunching { get; init; }

    /// <summary>Banned clients and progress liars (<see cref="PeerRules"/>): the peer follows its claims with it, and
    /// checks the client name of its extension handshake.</summary>
    public required PeerRules Rules { get; init; }

    /// <summary>Serves the info dictionary to ut_metadata requests (BEP 9): magnet clients can fetch it from us.</summary>
    public MetadataServer Metadata => _metadata ??= new MetadataServer(Torrent);

    /// <summary>Whose turn it is to take the upload limit's tokens (<see cref="UploadTurns"/>; made when a peer first
    /// asks: an unlimited torrent holds none).</summary>
    public UploadTurns Turns
    {
        get
        {
            if (Volatile.Read(ref _turns) is { } turns) return turns;
            Interlocked.CompareExchange(ref _turns, new UploadTurns(Time), null);
            return _turns;
        }
    }
}
