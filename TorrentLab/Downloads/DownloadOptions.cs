using System.Net;
using Microsoft.Extensions.Logging;
using TorrentLab.Dht;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Downloads;

/// <summary>One torrent's own settings (libtorrent's <c>add_torrent_params</c>): where to write, its trackers and
/// peers, its peer and upload-slot caps, its own limits, file priorities and seeding.</summary>
/// <remarks>
/// Every setting lives in one place. What a session shares among its torrents (peer port and addresses, peer id, DHT,
/// LSD, encryption, transports, timeouts of a connection, global limits) is a <see cref="SessionSettings"/> and nowhere
/// else. A torrent added to a running session (<see cref="Client.TorrentSession"/>) takes that session's settings; a download started on its own (the command line's main
/// job, the classroom commands) makes a session of one torrent from <see cref="Session"/>.
/// </remarks>
public sealed record DownloadOptions
{
    /// <summary>The settings of the session a download, seed or magnet fetch started on its own makes for itself. A
    /// torrent joining a running session takes that session's settings, and refuses this when set.</summary>
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

    /// <summary>True when <see cref="Session"/> was set: a torrent joining a session refuses it rather than ignore it.</summary>
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

    /// <summary>The engine that runs a download with these options: <see cref="Engine"/>, with
    /// <see cref="DownloadEngine.Auto"/> made the reference story for one peer and the swarm otherwise (the one engine
    /// choice).</summary>
    internal DownloadEngine EngineToRun => Engine switch
    {
        DownloadEngine.Auto => MaxPeers == 1 ? DownloadEngine.Reference : DownloadEngine.Swarm,
        var chosen => chosen,
    };

    /// <summary>Replaces the torrent's trackers (tiers of URLs) when set.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Trackers { get; init; }

    /// <summary>The trackers a torrent announces to with these options: <see cref="Trackers"/>, else the torrent's own
    /// (its BEP 12 tiers, or its one announce URL).</summary>
    internal IReadOnlyList<IReadOnlyList<string>> TrackersOf(Metainfo.Torrent torrent) => Trackers ?? torrent.TrackerTiers;

    /// <summary>Peers to try besides those from trackers (e.g. given on the command line, or by a test).</summary>
    public IReadOnlyList<IPEndPoint> ExtraPeers { get; init; } = [];

    /// <summary>At most this many requests in flight per peer (pipelining); null for each engine's own: the reference
    /// path keeps 128 in flight, the swarm engine sizes each peer's pipeline from its rate, up to 384 (one loopback
    /// peer needs far more than 5 to be fast).</summary>
    public int? RequestsPerPeer { get; init; }

    /// <summary>How long without any block arriving before the download gives up (<c>--stall-timeout</c>); null (the
    /// default) waits for peers as long as the caller lets it, showing why in <see cref="DownloadProgress.Status"/>.</summary>
    public TimeSpan? StallTimeout { get; init; }

    /// <summary>How often the resume ledger is written while downloading.</summary>
    public TimeSpan LedgerInterval { get; init; } = TimeSpan.FromSeconds(3);

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

    /// <summary>This torrent's regular upload slots (BEP 3: four): the peers it uploads to at once, the best by rate,
    /// plus one optimistic unchoke (libtorrent's per-torrent <c>max_uploads</c>). It gets at most this many of the
    /// session's <see cref="SessionSettings.GlobalUploadSlots"/>. Three cases open more, and close them again when they
    /// end: while an <see cref="UploadLimit"/> is not filled and peers wait, up to twice this many; without an upload
    /// limit, once the torrent is complete (and not super-seeding), while peers wait and every peer we upload to gets a
    /// rate above a threshold that rises with each slot (libtorrent's rate-based choker: 1 KiB/s, 2 KiB/s more a slot),
    /// up to four times this many; and while a lone seed sends the torrent's first copy (each piece once before any
    /// twice), one per interested peer up to four times this many, so the pieces sent once spread over every peer that
    /// passes them on (docs/cli.md).</summary>
    public int UploadSlots { get; init; } = 4;

    /// <summary>Keep seeding after the download completes (until <see cref="SeedRatio"/>, <see cref="SeedTime"/>,
    /// <see cref="SeedIdleTime"/> or cancel).</summary>
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

    /// <summary>Stop seeding once no payload was sent to any peer for this long (qBittorrent's inactive seeding time,
    /// Transmission's idle seeding limit), counted from the last upload or, before any, from when seeding began; null
    /// for no limit.</summary>
    public TimeSpan? SeedIdleTime { get; init; }

    /// <summary>Caps the payload this torrent downloads (<c>--max-download-rate</c>): block requests wait for its tokens
    /// and then for the session's (<see cref="SessionSettings.DownloadLimit"/>). Null: the session's limit only. Its
    /// rate may change while the download runs. Refused with the single-peer reference path, which takes no limit.</summary>
    public RateLimit? DownloadLimit { get; init; }

    /// <summary>Caps the payload we upload (<c>--max-upload-rate</c>): sending a block waits for its tokens. Null is
    /// unlimited; shared and live-settable like <see cref="DownloadLimit"/>.</summary>
    public RateLimit? UploadLimit { get; init; }

    /// <summary>This torrent's own logger: every line of its run goes here (peer connected, dropped and why, piece
    /// failed, tracker answers), at <see cref="LogLevel.Debug"/>. Null: the session's
    /// <see cref="SessionSettings.LoggerFactory"/>, category <c>TorrentLab.Swarm</c> (or <c>TorrentLab.Reference</c>,
    /// <c>TorrentLab.Magnet</c>), if it has one.</summary>
    public ILogger? Logger
    {
        get => _logger;
        init
        {
            _logger = value;
            _log = null; // made again from the new logger
        }
    }

    private readonly ILogger? _logger;
    private Action<string>? _log;

    /// <summary>The lines the engine writes for this torrent, made from <see cref="Logger"/> once (the front door fills
    /// in the session's when there is none); the engine and the tests may set it directly.</summary>
    internal Action<string>? Log
    {
        get => _log ??= EngineLog.Lines(_logger);
        init => _log = value;
    }

    /// <summary>Opens the storage for a download; null opens <see cref="Storage.FileStorage"/>. A seam for tests that
    /// inject faults such as a full disk.</summary>
    internal Func<Metainfo.Torrent, string, Storage.IPieceStorage>? OpenStorage { get; init; }

    /// <summary>Typed events of the torrent (tracker answers and failures, banned peers) for the session's handle,
    /// which builds its alerts on them; null: none.</summary>
    internal ITorrentEvents? Events { get; init; }

    /// <summary>Where a downloading swarm takes file priority and order changes without a restart; null: none.</summary>
    internal LiveChanges? Live { get; init; }

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
