using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Network;

namespace TorrentLab.Tracker.Server;

/// <summary>Where the embeddable tracker listens and how it answers.</summary>
public sealed record TrackerServerOptions
{
    /// <summary>The address to listen on (HTTP and UDP); loopback by default.</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>The port for both HTTP (TCP) and UDP; 0 picks a free one (read <see cref="TrackerServer.Port"/>).</summary>
    public int Port { get; init; } = 6969;

    /// <summary>The <c>interval</c> sent to clients (how long they should wait between announces).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a peer that stops announcing stays listed. Unset: <see cref="DefaultPeerTimeout"/>, the
    /// longer of two intervals and 45 minutes.</summary>
    /// <remarks>Clients clamp the interval they obey: libtorrent (and so qBittorrent) never announces sooner than its
    /// <c>min_announce_interval</c> of 300 s, whatever the tracker sends. With two intervals and no floor, every
    /// interval under 150 s forgot live libtorrent peers; opentracker keeps a peer a fixed 45 minutes.</remarks>
    public TimeSpan? PeerTimeout { get; init; }

    /// <summary>The floor of the default <see cref="PeerTimeout"/>: opentracker's fixed 45 minutes.</summary>
    public static readonly TimeSpan PeerTimeoutFloor = TimeSpan.FromMinutes(45);

    /// <summary>The peer timeout used when <see cref="PeerTimeout"/> is unset: the longer of two intervals and
    /// <see cref="PeerTimeoutFloor"/>.</summary>
    public TimeSpan DefaultPeerTimeout => Interval * 2 > PeerTimeoutFloor ? Interval * 2 : PeerTimeoutFloor;

    /// <summary>The peer timeout in force: <see cref="PeerTimeout"/>, or <see cref="DefaultPeerTimeout"/>.</summary>
    internal TimeSpan EffectivePeerTimeout => PeerTimeout ?? DefaultPeerTimeout;

    /// <summary>The <c>min interval</c> sent to HTTP clients, when set.</summary>
    public TimeSpan? MinInterval { get; init; }

    /// <summary>A <c>tracker id</c> sent in every HTTP announce answer, when set (clients echo it as <c>trackerid</c>).</summary>
    public string? TrackerId { get; init; }

    /// <summary>When set, only these torrents are tracked; announces for others get a failure reason.</summary>
    public IReadOnlyCollection<InfoHash>? AllowedInfoHashes { get; init; }

    /// <summary>Receives one line per announce, scrape and rejected request (the CLI prints them; tests capture them).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Most peers returned in one answer, whatever <c>numwant</c> asks.</summary>
    public int MaxPeersPerAnswer { get; init; } = 200;

    /// <summary>Most peers one torrent holds; past it a newcomer is answered but not recorded, and the peers already
    /// there keep their places (each costs about 100 bytes: 10 MB for a full torrent).</summary>
    public int MaxPeersPerTorrent { get; init; } = 100_000;

    /// <summary>Most torrents one address (an IPv6 /64) may start: torrents the tracker holds because that address
    /// announced them first. Past it, an announce that would start another is refused with a failure reason; announces
    /// into torrents the tracker holds already are never refused. A torrent gives its place back when the tracker
    /// forgets it (its last peer gone).</summary>
    /// <remarks>10,000: more than a seedbox starts alone, and about 4 MB of memory (some 400 bytes a torrent of one
    /// peer). Without a share one address announced 300,000 made-up info hashes in 44 s and held 114 MB for 45 minutes
    /// (issue 82). opentracker has no such share.</remarks>
    public int MaxTorrentsPerAddress { get; init; } = 10_000;

    /// <summary>Whether answers list peers in random order (true, as trackers do) or in the order they first announced
    /// (the lab, whose seed decides that order, so a seeded run lists the same peers in the same order).</summary>
    public bool ShufflePeers { get; init; } = true;

    /// <summary>Most HTTP connections open at once. When all are taken, the oldest stranger (a connection that has not
    /// completed a request yet) is closed for a newcomer; when none is a stranger, the newcomer is answered 503.</summary>
    public int HttpMaxConnections { get; init; } = 1024;

    /// <summary>Most HTTP connections open at once from one address, under the same rule as
    /// <see cref="HttpMaxConnections"/> among that address's own connections: one address cannot take the others'
    /// places.</summary>
    public int HttpMaxConnectionsPerAddress { get; init; } = 32;

    /// <summary>How long a request head may take from its first byte (for a new connection: from the connection) to
    /// its blank line; past it the connection is closed, however many bytes trickle in (slowloris).</summary>
    public TimeSpan HttpHeadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A keep-alive HTTP connection that neither sends nor is sent anything for this long between requests is
    /// closed (a keep-alive client reconnects; announces come minutes apart).</summary>
    public TimeSpan HttpIdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether <c>GET /scrape</c> without an <c>info_hash</c> answers for every torrent (at most
    /// <see cref="FullScrapeMax"/>, those with most peers); off by default, when it answers a failure reason.</summary>
    /// <remarks>A 24-byte request answered every torrent ever seen: after 300,000 torrents no answer came in 120 s and
    /// the process grew by 139 MB per request (issue 53). opentracker answers an empty <c>files</c> dictionary there
    /// and serves its full scrape only on its stats page, to addresses its configuration allows.</remarks>
    public bool FullScrape { get; init; }

    /// <summary>Most torrents in one full scrape (90-odd bytes each): the ones with most peers.</summary>
    public int FullScrapeMax { get; init; } = 1000;

    /// <summary>The clock of the tracker: peer expiry, UDP connection ids, the HTTP head and idle timeouts and scripted
    /// slow answers; tests pass their own to expire peers without waiting.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The network the tracker listens on: the kernel's, or a simulated host's (tests that run a swarm on
    /// the simulated network).</summary>
    internal INetwork Network { get; init; } = SystemNetwork.Instance;
}
