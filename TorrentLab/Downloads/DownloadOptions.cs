using System.Net;
using TorrentLab.Dht;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Downloads;

/// <summary>What one torrent needs besides the torrent itself: where to write, its trackers and peers, its limits, file
/// priorities and seeding; and, for a download that makes its own session, that session's settings.</summary>
/// <remarks>
/// A torrent added to a running <see cref="Swarm.Session"/> takes the session's port, peer id, DHT node, encryption and
/// transports and ignores <see cref="Session"/>. A download started on its own (the command line's main job, the
/// classroom commands) makes a session of one torrent from <see cref="Session"/>; the properties marked "session
/// setting" below are shortcuts that read and set it (set them after <see cref="Session"/> in an initializer).
/// </remarks>
public sealed record DownloadOptions
{
    /// <summary>The settings of the session a download makes for itself (not used when the torrent joins a session).</summary>
    public SessionSettings Session
    {
        get => _session;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _session = value;
            SessionSet = true;
        }
    }

    private readonly SessionSettings _session = new();

    /// <summary>True when <see cref="Session"/> or one of its shortcuts was set: a torrent joining a session refuses
    /// them rather than ignore them.</summary>
    internal bool SessionSet { get; private init; }

    /// <summary>The folder files are written below (the torrent's name is the file or top folder inside it).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Use the resume ledger when it matches (default); false starts fresh and rewrites it.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Resize and write existing files the torrent did not create even when their bytes are not its data
    /// (<c>--overwrite</c>); by default such a file stops the download untouched.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Most peers connected at once; 1 runs the single-peer reference path.</summary>
    public int MaxPeers { get; init; } = 50;

    /// <summary>Which engine downloads; <see cref="DownloadEngine.Auto"/> follows <see cref="MaxPeers"/>.</summary>
    public DownloadEngine Engine { get; init; }

    /// <summary>Port we listen on for incoming peers and announce (BEP 3 suggests 6881-6889); 0 picks a free one.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public int ListenPort { get => Session.ListenPort; init => Session = Session with { ListenPort = value }; }

    /// <summary>Our peer id; a fresh BEP 20 id by default.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public PeerId PeerId { get => Session.PeerId; init => Session = Session with { PeerId = value }; }

    /// <summary>Replaces the torrent's trackers (tiers of URLs) when set.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Trackers { get; init; }

    /// <summary>Which peer addresses may be dialled (from trackers, PEX or <see cref="ExtraPeers"/>); unspecified,
    /// broadcast, multicast and link-local addresses never are.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public PeerScope PeerScope { get => Session.PeerScope; init => Session = Session with { PeerScope = value }; }

    /// <summary>Peers to try besides those from trackers (e.g. given on the command line, or by a test).</summary>
    public IReadOnlyList<IPEndPoint> ExtraPeers { get; init; } = [];

    /// <summary>Use the Mainline DHT (BEP 5) as one more peer source, on the UDP port numbered like the peer listener, and
    /// announce ourselves there (<c>--no-dht</c> turns it off). Never used for a private torrent (BEP 27) nor by the
    /// single-peer reference path.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public bool Dht { get => Session.Dht; init => Session = Session with { Dht = value }; }

    /// <summary>Announce on the local network and take the peers heard there (BEP 14, <c>--lsd</c>); off by default.
    /// Never for a private torrent (BEP 27) nor the single-peer reference path.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public bool Lsd { get => Session.Lsd; init => Session = Session with { Lsd = value }; }

    /// <summary>The DHT's bootstrap nodes, <c>HOST:PORT</c> each (<c>--dht-bootstrap</c>); by default the public routers
    /// (<see cref="DhtNodeOptions.PublicRouters"/>). A saved routing table is tried first, so a restart needs none.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public IReadOnlyList<string> DhtBootstrap { get => Session.DhtBootstrap; init => Session = Session with { DhtBootstrap = value }; }

    /// <summary>Where the DHT routing table is saved and read again next start; null: a download keeps it beside its
    /// resume ledgers (<c>&lt;output&gt;/.torrentlab/dht.json</c>), a seeder (which writes nothing below its data
    /// folder) keeps none.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public string? DhtStatePath { get => Session.DhtStatePath; init => Session = Session with { DhtStatePath = value }; }

    /// <summary>At most this many requests in flight per peer (pipelining); null for each engine's own: the reference
    /// path keeps 128 in flight, the swarm engine sizes each peer's pipeline from its rate, up to 384 (one loopback
    /// peer needs far more than 5 to be fast).</summary>
    public int? RequestsPerPeer { get; init; }

    /// <summary>MSE/PE protocol encryption (<c>--encryption</c>): prefer (dial encrypted, fall back to plaintext; accept
    /// both), require (RC4 only) or off (plain BEP 3).</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public Wire.EncryptionPolicy Encryption { get => Session.Encryption; init => Session = Session with { Encryption = value }; }

    /// <summary>Which transports carry peer connections (<c>--transport</c>): both (default: uTP and TCP, dialled in
    /// the order <see cref="DialTcpFirst"/> says, both accepted on the same port number), TCP only, or uTP only.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public PeerTransport Transport { get => Session.Transport; init => Session = Session with { Transport = value }; }

    /// <summary>With <see cref="PeerTransport.Both"/>, dial TCP first and fall back to uTP (by default uTP is dialled
    /// first, as libtorrent, qBittorrent and Transmission do).</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public bool DialTcpFirst { get => Session.DialTcpFirst; init => Session = Session with { DialTcpFirst = value }; }

    /// <summary>Time limits for connecting, handshaking and waiting on a silent peer.</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public TimeSpan ConnectTimeout { get => Session.ConnectTimeout; init => Session = Session with { ConnectTimeout = value }; }
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public TimeSpan HandshakeTimeout { get => Session.HandshakeTimeout; init => Session = Session with { HandshakeTimeout = value }; }
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public TimeSpan IdleTimeout { get => Session.IdleTimeout; init => Session = Session with { IdleTimeout = value }; }

    /// <summary>How long without any block arriving before the download gives up (<c>--stall-timeout</c>); null (the
    /// default) waits for peers as long as the caller lets it, showing why in <see cref="DownloadProgress.Status"/>.</summary>
    public TimeSpan? StallTimeout { get; init; }

    /// <summary>How often the resume ledger is written while downloading.</summary>
    public TimeSpan LedgerInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The local addresses we listen on for incoming peers, all on one port (<c>--bind</c>, repeatable). The
    /// default <c>::</c> is dual-stack: every interface, IPv4 and IPv6 (<c>0.0.0.0</c> on a machine without IPv6).</summary>
    /// <remarks>A session setting: a shortcut for <see cref="Session"/>.</remarks>
    public IReadOnlyList<IPAddress> BindAddresses { get => Session.BindAddresses; init => Session = Session with { BindAddresses = value }; }

    /// <summary>A single local address to listen on (loopback in tests); sets <see cref="BindAddresses"/>.</summary>
    public IPAddress BindAddress { get => BindAddresses[0]; init => BindAddresses = [value]; }

    /// <summary>The local address of the UDP side (the DHT, which speaks IPv4 only: BEP 32's nodes6 is not
    /// implemented): the first bind address, with the dual-stack <c>::</c> read as <c>0.0.0.0</c>.</summary>
    internal IPAddress UdpBindAddress => Session.UdpBindAddress;

    /// <summary>A request unanswered this long goes back to the pool for another peer (swarm engine).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Told, in one line, what a magnet link's fetch is waiting for each time it asks again (no peer yet,
    /// no peer gave the metadata); null: the line goes to <see cref="Log"/>.</summary>
    public Action<string>? Waiting { get; init; }

    /// <summary>Told the running total of bytes re-hashed while data already on disk is checked at the start (no
    /// trusted resume ledger: a resume after a crash, seeding files the ledger does not vouch for); null: not told.</summary>
    public IProgress<long>? Checking { get; init; }

    /// <summary>When the swarm is full (<see cref="MaxPeers"/>), a new connection takes the place of the peer that has
    /// neither given nor taken a block for longest, once that is at least this long (and the peer at least this old);
    /// so idle connections cannot hold every slot (swarm engine).</summary>
    public TimeSpan IdlePeerGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A peer that unchoked us but sent no block for this long is snubbing us: its requests go to others.</summary>
    public TimeSpan SnubTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>This torrent's cap on peers it uploads to at once (BEP 3: four): the best by rate, plus one optimistic
    /// unchoke. In a session it gets at most this many of the session's <see cref="SessionSettings.UploadSlots"/>.</summary>
    public int UploadSlots { get; init; } = 4;

    /// <summary>Keep seeding after the download completes (until <see cref="SeedRatio"/>, <see cref="SeedTime"/> or cancel).</summary>
    public bool SeedAfterDownload { get; init; }

    /// <summary>BEP 16 super-seeding (<c>--super-seed</c>): while seeding the whole torrent, announce no pieces and reveal
    /// to each peer one piece the others lack, the next only once the previous is seen spreading, so that the seed
    /// uploads each piece about once. For the first seed of a new torrent; connections made while downloading are
    /// served as usual (they saw our pieces already).</summary>
    public bool SuperSeed { get; init; }

    /// <summary>Stop seeding once uploaded bytes reach this multiple of the torrent's size; null for no limit.</summary>
    public double? SeedRatio { get; init; }

    /// <summary>Stop seeding after this long; null for no limit.</summary>
    public TimeSpan? SeedTime { get; init; }

    /// <summary>Caps the payload this torrent downloads (<c>--max-download-rate</c>): block requests wait for its tokens
    /// and then for the session's (<see cref="SessionSettings.DownloadLimit"/>). Null: the session's limit only. Its
    /// rate may change while the download runs. Refused with the single-peer reference path, which takes no limit.</summary>
    public RateLimit? DownloadLimit { get; init; }

    /// <summary>Caps the payload we upload (<c>--max-upload-rate</c>): sending a block waits for its tokens. Null is
    /// unlimited; shared and live-settable like <see cref="DownloadLimit"/>.</summary>
    public RateLimit? UploadLimit { get; init; }

    /// <summary>Protocol events, one line each (peer connected, dropped and why, piece failed), for --verbose.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Opens the storage for a download; null opens <see cref="Storage.FileStorage"/>. A seam for tests that
    /// inject faults such as a full disk.</summary>
    internal Func<Metainfo.Torrent, string, Storage.IPieceStorage>? OpenStorage { get; init; }

    /// <summary>Every wire message sent and received, for --trace.</summary>
    public Action<Wire.WireTraceEvent>? Trace { get; init; }

    /// <summary>One priority per file of the torrent, in <see cref="Metainfo.Torrent.Files"/> order (pad files
    /// included, ignored): skipped files are not downloaded beyond the pieces they share with wanted files, higher
    /// priority pieces are started first (<c>--select-file</c>). Null: the selection the resume ledger recorded, else
    /// every file at normal priority.</summary>
    public IReadOnlyList<Pieces.FilePriority>? FilePriorities { get; init; }

    /// <summary>Download pieces in order, lowest index first (<c>--sequential</c>, for streaming) instead of rarest
    /// first; file priorities still come first.</summary>
    public bool Sequential { get; init; }
}
