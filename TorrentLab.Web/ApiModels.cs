using TorrentLab.Wire;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

// The shapes the REST API and the live updates send, as JSON (camelCase, source-generated in WebJsonContext).

/// <summary>One row of the torrent list.</summary>
/// <param name="InfoHash">The v1 info hash in 40 lowercase hex digits: the torrent's id in every route.</param>
/// <param name="Name">The torrent's name: the file or top folder inside the downloads folder.</param>
/// <param name="Size">Bytes in the torrent.</param>
/// <param name="PieceCount">Pieces in the torrent.</param>
/// <param name="PiecesDone">Verified pieces.</param>
/// <param name="BytesDone">Verified bytes.</param>
/// <param name="Progress">Verified bytes as a fraction 0..1.</param>
/// <param name="DownloadRate">Payload bytes per second received recently.</param>
/// <param name="UploadRate">Payload bytes per second sent recently.</param>
/// <param name="Peers">Peers connected now.</param>
/// <param name="State">paused, queued, downloading, seeding, checking, completed or failed.</param>
/// <param name="AddedAt">When it was added.</param>
/// <param name="Error">Why the torrent failed, when it did.</param>
public sealed record TorrentSummary(string InfoHash, string Name, long Size, int PieceCount, int PiecesDone, long BytesDone,
    double Progress, double DownloadRate, double UploadRate, int Peers, string State, DateTimeOffset AddedAt, string? Error)
{
    /// <summary>While a download gets no data: why ("waiting for peers: 0 connected, 0 known; tracker X answered 0, next
    /// announce in 30 s"); a download waits for peers as long as it runs, it never gives up on its own.</summary>
    public string? Status { get; init; }

    /// <summary>Seconds left at the current download rate while downloading; null when unknown.</summary>
    public double? Eta { get; init; }

    /// <summary>Payload bytes uploaded to peers since the torrent was added (kept across restarts).</summary>
    public long Uploaded { get; init; }

    /// <summary>Uploaded bytes divided by the torrent's size.</summary>
    public double Ratio { get; init; }

    /// <summary>The last tracker failure while the torrent runs ("tracker announce failed: ..."), else null.</summary>
    public string? TrackerError { get; init; }

    /// <summary>Downloading but no data arrives (see <see cref="Status"/> for why).</summary>
    public bool Stalled { get; init; }

    /// <summary>The torrent's own seeding limits (null values take the server's defaults).</summary>
    public SeedPolicy? Seeding { get; init; }

    /// <summary>Its category (a Transmission label, a qBittorrent category), or null.</summary>
    public string? Category { get; init; }

    /// <summary>Its tags (qBittorrent's tags; Transmission's labels after the category), sorted.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Its save folder relative to the downloads folder, with '/' ("" for the downloads folder itself).</summary>
    public string Folder { get; init; } = "";

    /// <summary>The host names of the trackers it announces to (for the page's filter by tracker).</summary>
    public IReadOnlyList<string> TrackerHosts { get; init; } = [];

    /// <summary>Start would do something: it is paused or failed, or complete and would seed.</summary>
    public bool CanStart { get; init; }

    /// <summary>BEP 27's private flag: it finds peers through its trackers only, never the DHT, peer exchange or local
    /// discovery (Transmission's <c>isPrivate</c>, qBittorrent's <c>is_private</c>).</summary>
    public bool IsPrivate { get; init; }
}

/// <summary>One file of a torrent and how much of it is verified.</summary>
/// <param name="Path">Relative to the downloads folder, with '/'.</param>
/// <param name="Length">Bytes.</param>
/// <param name="Progress">Verified pieces among those holding the file's bytes, 0..1.</param>
/// <param name="VerifiedPieces">Verified pieces among those holding the file's bytes.</param>
/// <param name="TotalPieces">Pieces holding the file's bytes (0 for an empty file).</param>
public sealed record FileDetails(string Path, long Length, double Progress, int VerifiedPieces, int TotalPieces);

/// <summary>One tracker URL and the engine's last word about trackers.</summary>
/// <param name="Url">The announce URL.</param>
/// <param name="Tier">Its BEP 12 tier, 0 first.</param>
/// <param name="LastAnswer">The last tracker answer or error the engine logged (null before the first announce). The
/// engine reports one answer per announce: one naming a URL is shown on that URL's row, any other on every row.</param>
/// <param name="AnsweredAt">When that answer came.</param>
public sealed record TrackerDetails(string Url, int Tier, string? LastAnswer, DateTimeOffset? AnsweredAt);

/// <summary>One peer seen on the wire.</summary>
/// <param name="Address">ip:port.</param>
/// <param name="Client">The client decoded from the BEP 20 peer id prefix (<c>libtorrent 2.0.8.0</c>), or "unknown".</param>
/// <param name="PeerId">The peer id in hex, once its handshake arrived.</param>
/// <param name="DownloadRate">Payload bytes per second received from it.</param>
/// <param name="UploadRate">Payload bytes per second sent to it.</param>
/// <param name="PeerChoking">The peer is choking us (BEP 3).</param>
/// <param name="AmInterested">We told the peer we are interested (BEP 3).</param>
/// <param name="AmChoking">We are choking the peer.</param>
/// <param name="PeerInterested">The peer told us it is interested.</param>
/// <param name="Connected">The engine is connected to it now.</param>
public sealed record PeerDetails(string Address, string Client, string? PeerId, double DownloadRate, double UploadRate,
    bool PeerChoking, bool AmInterested, bool AmChoking, bool PeerInterested, bool Connected)
{
    /// <summary>The peer opened the connection (its handshake came first).</summary>
    public bool Incoming { get; init; }

    /// <summary><c>tcp</c> or <c>utp</c>.</summary>
    public string Transport { get; init; } = "tcp";

    /// <summary>The connection is RC4-encrypted (BEP 8's MSE).</summary>
    public bool Encrypted { get; init; }

    /// <summary>The share of the torrent the peer announced it has, 0..1 (its bitfield's count and its haves).</summary>
    public double Progress { get; init; }

    /// <summary>Payload bytes received from it since it connected, as the wire trace counted them.</summary>
    public long Downloaded { get; init; }

    /// <summary>Payload bytes sent to it since it connected.</summary>
    public long Uploaded { get; init; }

    /// <summary>Why it was banned (a client ban rule, or a progress liar: "claimed progress did not grow: took 40 MiB,
    /// claims 0 %"); null for a peer not banned. A banned peer is listed, not connected, while the torrent runs.</summary>
    public string? Banned { get; init; }
}

/// <summary>Everything the detail view shows about one torrent.</summary>
/// <param name="Summary">Its row of the list.</param>
/// <param name="PieceLength">Bytes per piece.</param>
/// <param name="Comment">The torrent's comment.</param>
/// <param name="CreatedBy">The program that made the torrent.</param>
/// <param name="Files">Its files with their progress.</param>
/// <param name="Trackers">Its trackers with the last answer.</param>
/// <param name="Peers">Peers seen in the last 30 seconds.</param>
/// <param name="Pieces">One digit per piece: 0 missing, 1 requested, 2 verified, 3 failed.</param>
/// <param name="Log">The engine's recent protocol events, oldest first.</param>
/// <param name="MetaVersion">BEP 52's <c>meta version</c>: 2 for v2 and hybrid torrents, 1 for BEP 3 ones.</param>
/// <param name="InfoHashV2">The SHA-256 info hash in 64 hex digits (v2 and hybrid torrents), else null.</param>
/// <param name="HashScheme">What verifies its pieces: <c>sha1</c>, <c>merkle-sha256</c>, or both for a hybrid.</param>
public sealed record TorrentDetails(TorrentSummary Summary, long PieceLength, string? Comment, string? CreatedBy,
    IReadOnlyList<FileDetails> Files, IReadOnlyList<TrackerDetails> Trackers, IReadOnlyList<PeerDetails> Peers,
    string Pieces, IReadOnlyList<string> Log, int MetaVersion = 1, string? InfoHashV2 = null, string HashScheme = "sha1")
{
    /// <summary>How many peer addresses each discovery source gave: trackers, the DHT, PEX, given ones.</summary>
    public PeerSources PeerSources { get; init; } = PeerSources.None;

    /// <summary>Its place in the queue, from 0: waiting downloads start in this order.</summary>
    public int QueuePosition { get; init; }

    /// <summary>True when the user replaced the .torrent's trackers (<see cref="Trackers"/> is the edited list).</summary>
    public bool TrackersEdited { get; init; }

    /// <summary>The peers given to it (by its magnet link or the user), <c>ip:port</c>, tried on every run.</summary>
    public IReadOnlyList<string> GivenPeers { get; init; } = [];

    /// <summary>Its magnet link (BEP 9, with the .torrent's trackers), to give to others; its .torrent file is at
    /// <c>GET /api/torrents/{infoHash}/torrent</c>.</summary>
    public string MagnetLink { get; init; } = "";
}

/// <summary>One wire message of a torrent, as the live trace shows it.</summary>
/// <param name="Seq">Increases by one per event of this torrent (a gap means events were dropped).</param>
/// <param name="Time">When it was sent or decoded.</param>
/// <param name="Peer">The remote end, ip:port.</param>
/// <param name="Dir">"sent" or "received".</param>
/// <param name="Name">The message (<c>piece</c>, <c>have</c>, <c>handshake</c>...).</param>
/// <param name="Fields">Its fields as <c>key=value</c> pairs.</param>
/// <param name="Length">Bytes on the wire, length prefix included.</param>
/// <param name="Head">The first bytes on the wire in hex.</param>
public sealed record TraceLine(long Seq, DateTimeOffset Time, string Peer, string Dir, string Name, string Fields, int Length, string Head);

/// <summary>The body of an add-by-path request.</summary>
/// <param name="Path">An existing .torrent file on the server.</param>
public sealed record AddByPathRequest(string Path);

/// <summary>Every error the API answers with: one line saying what went wrong and where.</summary>
/// <param name="Error">The message (a bad .torrent's byte offset or key path is in it).</param>
public sealed record ApiError(string Error);

/// <summary>The body of an add-by-link request.</summary>
/// <param name="Link">A <c>magnet:</c> link, or the http/https URL of a .torrent file.</param>
/// <param name="Start">Queue it for download at once (default true).</param>
/// <param name="Folder">Its save folder: relative to the downloads folder, or an absolute path inside it (default: the
/// downloads folder).</param>
/// <param name="SkipChecking">Take the data already in the save folder as complete without hashing it, when every file
/// is there at its full size (as <c>skipChecking</c> of an upload; default false).</param>
public sealed record AddByLinkRequest(string Link, bool? Start = null, string? Folder = null, bool? SkipChecking = null);

/// <summary>The server's settings the page can change; every field is optional in an update.</summary>
/// <param name="MaxActiveDownloads">Downloads running at once; the rest wait in the queue, in order.</param>
/// <param name="SeedAfterDownload">Seed each torrent after it completes (a torrent's own setting wins).</param>
/// <param name="SeedRatio">Default ratio at which seeding stops; null for none.</param>
/// <param name="SeedMinutes">Default minutes after which seeding stops; null for none.</param>
public sealed record WebSettings(int? MaxActiveDownloads = null, bool? SeedAfterDownload = null, double? SeedRatio = null, double? SeedMinutes = null)
{
    /// <summary>Default minutes without any upload after which seeding stops (qBittorrent's inactive seeding time,
    /// Transmission's idle seeding limit); null for none, 0 in an update clears it.</summary>
    public double? SeedIdleMinutes { get; init; }

    /// <summary>What happens to a torrent that reaches a share limit: <c>pause</c> (it stays in the list, stopped),
    /// <c>remove</c> (out of the list, its data kept) or <c>remove-data</c> (out of the list, its files deleted).</summary>
    public string? SeedLimitAction { get; init; }

    /// <summary>The session's peer port (TCP and UDP); set through the command line, saved, and reused next start.</summary>
    public int? PeerPort { get; init; }

    /// <summary>The session runs a DHT node; set through the command line and saved.</summary>
    public bool? Dht { get; init; }

    /// <summary>The DHT's bootstrap nodes; set through the command line and saved.</summary>
    public IReadOnlyList<string>? DhtBootstrap { get; init; }

    /// <summary>Peer connections open at once over all torrents; set through the command line and saved.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Whether a torrent added through a remote-control API without saying starts at once (Transmission's
    /// <c>start-added-torrents</c>, qBittorrent's <c>start_paused_enabled</c> the other way round); saved.</summary>
    public bool? StartAddedTorrents { get; init; }
    /// <summary>Where the blocklist is read from: an http(s) URL or the absolute path of a file on the server ("" none).</summary>
    public string? Blocklist { get; init; }

    /// <summary>Whether the blocklist is in force: no peer in its ranges is dialled or accepted.</summary>
    public bool? BlocklistEnabled { get; init; }

    /// <summary>The disk guard: downloads wait while fewer bytes than this are free on their volume, and go on once
    /// there are (0: off; default 1 GiB); set through the command line (<c>--keep-free</c>) or the APIs, and saved.</summary>
    public long? KeepFree { get; init; }
    /// <summary>Client ban rules (<c>--ban-client</c>): a peer id prefix (<c>-XL0012-</c>), a client name its extension
    /// handshake gives (<c>Xunlei</c>, any case), or <c>id:PREFIX</c> / <c>v:NAME</c> for one of the two. A matching peer
    /// is dropped at its handshake and banned. An update replaces the list; [] empties it.</summary>
    public IReadOnlyList<string>? BanClients { get; init; }

    /// <summary>The watch folder: each .torrent (or .magnet) file put there is added and started ("" none).</summary>
    public string? WatchFolder { get; init; }

    /// <summary>Delete a watched file once added, rather than rename it NAME.added.</summary>
    public bool? WatchDelete { get; init; }

    /// <summary>The program run when a torrent is added: a command line split without a shell, qBittorrent's
    /// placeholders (<c>%N</c>, <c>%D</c>...) replaced per argument ("" none); see docs/web.md, Hooks.</summary>
    public string? OnAdded { get; init; }

    /// <summary>Whether <see cref="OnAdded"/> runs.</summary>
    public bool? OnAddedEnabled { get; init; }

    /// <summary>The program run when a torrent completes, as <see cref="OnAdded"/> ("" none).</summary>
    public string? OnComplete { get; init; }

    /// <summary>Whether <see cref="OnComplete"/> runs.</summary>
    public bool? OnCompleteEnabled { get; init; }

    /// <summary>An http(s) URL sent a POST of JSON on every torrent's added, metadata, completed and error ("" none).</summary>
    public string? Webhook { get; init; }

    /// <summary>The protocols port mapping speaks (<c>upnp</c>, <c>natpmp</c>, <c>pcp</c>; empty: the router is not
    /// asked to forward the peer port); set through the command line and saved.</summary>
    public IReadOnlyList<string>? PortMapping { get; init; }

    /// <summary>The protocols named by <see cref="PortMapping"/> (an unknown name counts as none).</summary>
    internal static TorrentLab.PortMapping.PortMappingProtocols ProtocolsOf(IReadOnlyList<string>? names) =>
        (names ?? []).Aggregate(TorrentLab.PortMapping.PortMappingProtocols.None, (all, name) => all | name switch
        {
            "upnp" => TorrentLab.PortMapping.PortMappingProtocols.Upnp,
            "natpmp" => TorrentLab.PortMapping.PortMappingProtocols.NatPmp,
            "pcp" => TorrentLab.PortMapping.PortMappingProtocols.Pcp,
            _ => TorrentLab.PortMapping.PortMappingProtocols.None,
        });

    /// <summary>The names of <paramref name="protocols"/>, in a fixed order.</summary>
    internal static IReadOnlyList<string> NamesOf(TorrentLab.PortMapping.PortMappingProtocols protocols) =>
    [
        .. protocols.HasFlag(TorrentLab.PortMapping.PortMappingProtocols.Upnp) ? ["upnp"] : Array.Empty<string>(),
        .. protocols.HasFlag(TorrentLab.PortMapping.PortMappingProtocols.NatPmp) ? ["natpmp"] : Array.Empty<string>(),
        .. protocols.HasFlag(TorrentLab.PortMapping.PortMappingProtocols.Pcp) ? ["pcp"] : Array.Empty<string>(),
    ];
}

/// <summary>A request to act on several torrents at once.</summary>
/// <param name="Action">start, pause, recheck or remove.</param>
/// <param name="InfoHashes">The torrents.</param>
/// <param name="DeleteData">With remove: delete their files too.</param>
public sealed record BulkRequest(string Action, IReadOnlyList<string> InfoHashes, bool? DeleteData = null);

/// <summary>What a bulk request did to each torrent.</summary>
/// <param name="InfoHash">The torrent.</param>
/// <param name="Error">Why it failed for this torrent, or null when it worked.</param>
public sealed record BulkResult(string InfoHash, string? Error);

/// <summary>The totals bar: rates summed over every torrent, and how many torrents are in each state.</summary>
/// <param name="DownloadRate">Payload bytes per second received, all torrents.</param>
/// <param name="UploadRate">Payload bytes per second sent, all torrents.</param>
/// <param name="Torrents">Torrents in the list.</param>
/// <param name="Downloading">Downloading now.</param>
/// <param name="Seeding">Seeding after completion.</param>
/// <param name="Queued">Waiting for a download slot.</param>
/// <param name="Paused">Paused.</param>
/// <param name="Completed">Complete and not seeding.</param>
/// <param name="Failed">Stopped by an error.</param>
/// <param name="Stalled">Downloading, but no data arrives.</param>
public sealed record TorrentTotals(double DownloadRate, double UploadRate, int Torrents, int Downloading, int Seeding, int Queued,
    int Paused, int Completed, int Failed, int Stalled);

/// <summary>One file of a torrent with its selection: what the file tree of the detail view shows.</summary>
/// <param name="Index">1-based, pad files left out: the number <c>torrentlab info</c> prints and <c>--select-file</c> takes.</param>
/// <param name="Path">Relative to the downloads folder, with '/'.</param>
/// <param name="Length">Bytes.</param>
/// <param name="Priority">skip, low, normal or high.</param>
/// <param name="Progress">Verified pieces among those holding the file's bytes, 0..1.</param>
public sealed record FileEntry(int Index, string Path, long Length, string Priority, double Progress);

/// <summary>A new priority for one file.</summary>
/// <param name="Index">The file's <see cref="FileEntry.Index"/>.</param>
/// <param name="Priority">skip, low, normal or high.</param>
public sealed record FilePriorityChange(int Index, string Priority);

/// <summary>The body of a file selection change: only the files named change.</summary>
/// <param name="Files">The changes.</param>
public sealed record FilePrioritiesRequest(IReadOnlyList<FilePriorityChange> Files);

/// <summary>The body of a request to give a torrent another save folder.</summary>
/// <param name="Folder">Relative to the downloads folder, or an absolute path inside it ("" the downloads folder itself).</param>
/// <param name="Move">Move the data there (default true); false only points the torrent there and re-checks what it finds.</param>
public sealed record MoveRequest(string Folder, bool? Move = null);

/// <summary>A torrent's new tracker list.</summary>
/// <param name="Tiers">BEP 12 tiers of http, https or udp announce URLs, tried in order; [] for none (DHT and PEX
/// only); null to go back to the .torrent's own.</param>
public sealed record TrackersRequest(IReadOnlyList<IReadOnlyList<string>>? Tiers);

/// <summary>A peer to give a torrent.</summary>
/// <param name="Address">ip:port (IPv6 as [ip]:port).</param>
public sealed record PeerRequest(string Address);

/// <summary>A torrent's category.</summary>
/// <param name="Category">1 to 100 characters; null or "" for none. Created when new.</param>
public sealed record CategoryRequest(string? Category);

/// <summary>A category's share limits, taken by each of its torrents that has no such limit of its own, over the
/// server's defaults (<see cref="WebSettings"/>).</summary>
/// <param name="Ratio">Ratio at which seeding stops; 0 for no limit (over a default); null for the default.</param>
/// <param name="Minutes">Minutes of seeding after which it stops; 0 for no limit; null for the default.</param>
/// <param name="IdleMinutes">Minutes without an upload after which it stops; 0 for no limit; null for the default.</param>
public sealed record CategoryLimits(double? Ratio = null, double? Minutes = null, double? IdleMinutes = null);

/// <summary>A move in the queue of several torrents.</summary>
/// <param name="Move">top, up, down or bottom.</param>
/// <param name="InfoHashes">The torrents (an unknown one is a 404; nothing moves then).</param>
public sealed record QueueRequest(string Move, IReadOnlyList<string> InfoHashes);

/// <summary>The body of a share of data already below the downloads folder, with the options of <c>torrentlab create</c>.</summary>
/// <param name="Path">A file or folder below the downloads folder: relative to it, or an absolute path inside it (symbolic
/// links followed). The torrent's name is its base name; the folder holding it is the torrent's save folder.</param>
/// <param name="Trackers">BEP 12 tiers of http, https or udp announce URLs (<c>--tracker</c>); none by default (DHT and PEX only).</param>
/// <param name="PieceLength">Bytes per piece, a power of two from 16384 to 16777216 (<c>--piece-length</c>); automatic by default.</param>
/// <param name="Private">Set the private flag, BEP 27 (<c>--private</c>); default false.</param>
/// <param name="Format">v1 (the default), v2 (BEP 52) or hybrid (<c>--v2</c>, <c>--hybrid</c>).</param>
/// <param name="Comment">A comment stored in the torrent (<c>--comment</c>).</param>
/// <param name="WebSeeds">BEP 19 http or https web seed URLs (<c>--web-seed</c>).</param>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record ShareRequest(string Path, IReadOnlyList<IReadOnlyList<string>>? Trackers = null, int? PieceLength = null,
    bool? Private = null, string? Format = null, string? Comment = null, IReadOnlyList<string>? WebSeeds = null);

/// <summary>A torrent made and seeded by a share.</summary>
/// <param name="InfoHash">Its id in every route (the v1 info hash; for a v2-only torrent the first 20 bytes of its v2 one).</param>
/// <param name="MagnetLink">Its magnet link (BEP 9; a v2 or hybrid torrent's carries the BEP 52 hash too), with its trackers.</param>
/// <param name="TorrentUrl">Where its .torrent file is fetched: <c>/api/torrents/{infoHash}/torrent</c>.</param>
/// <param name="Torrent">Its row in the list, seeding.</param>
public sealed record ShareResult(string InfoHash, string MagnetLink, string TorrentUrl, TorrentSummary Torrent);

/// <summary>Another client's state folder to import.</summary>
/// <param name="Client"><c>qbittorrent</c> (its BT_backup folder) or <c>transmission</c> (its config folder).</param>
/// <param name="Path">The folder, on the server's machine.</param>
/// <param name="Recheck">Hash every piece, whatever the other client recorded.</param>
public sealed record ImportRequest(string? Client, string? Path, bool? Recheck = null);

/// <summary>What became of one imported torrent.</summary>
public sealed record ImportLine(string Name, bool Imported, string Line);

/// <summary>The answer of an import: a line per torrent and the summary.</summary>
public sealed record ImportAnswer(ImportLine[] Torrents, string Summary);
