using System.Net;
using Microsoft.Extensions.Logging;
using TorrentLab.Dht;
using TorrentLab.Network;
using TorrentLab.PortMapping;
using TorrentLab.Proxy;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Downloads;

/// <summary>What one session shares among all its torrents: the peer port and addresses, the peer id, the DHT node,
/// encryption and transports, the connection and global upload-slot limits, the global rate limits.</summary>
/// <remarks>The per-torrent side is <see cref="DownloadOptions"/> (output folder, trackers, peers per torrent, file
/// priorities, seeding, the torrent's own limits). The model is libtorrent's <c>settings_pack</c> beside its
/// <c>add_torrent_params</c>, and MonoTorrent's <c>EngineSettings</c> beside its <c>TorrentSettings</c>.</remarks>
public sealed record SessionSettings
{
    /// <summary>The peer port for TCP and uTP alike, which every torrent announces (BEP 3 suggests 6881-6889); 0 picks a
    /// free one.</summary>
    public int ListenPort { get; init; } = 6881;

    /// <summary>When <see cref="ListenPort"/> is taken, try 6881-6889 and then any free port instead of failing.</summary>
    public bool PortFallback { get; init; } = true;

    /// <summary>The local addresses we listen on, all on one port (<c>--bind</c>, repeatable). The default <c>::</c> is
    /// dual-stack: every interface, IPv4 and IPv6 (<c>0.0.0.0</c> on a machine without IPv6).</summary>
    public IReadOnlyList<IPAddress> BindAddresses { get; init; } = [IPAddress.IPv6Any];

    /// <summary>The one network interface, by name (<c>tun0</c>, <c>wg0</c>), that everything the session sends goes out
    /// from (<c>--bind-interface</c>): the peer port (TCP and uTP), the DHT, HTTP and UDP trackers, web seeds, local
    /// service discovery. Its addresses are followed as they change; while it is down, gone or without an address the
    /// session sends nothing (connections refused, datagrams dropped, announces skipped, a line each way) and resumes
    /// when it is back. An interface not there at start is waited for the same way. Null: every interface, as the
    /// routing table says. Not with <see cref="BindAddresses"/> (the interface's addresses are the ones used) nor
    /// <see cref="PortMapping"/> (the router it asks is on the default route).</summary>
    public string? BindInterface { get; init; }

    /// <summary>Our peer id, one for every torrent of the session; a fresh BEP 20 id by default.</summary>
    public PeerId PeerId { get; init; } = PeerId.CreateOurs();

    /// <summary>Run one Mainline DHT node (BEP 5) on the peer port's UDP socket, as one more peer source for every
    /// public torrent, and announce them there (<c>--no-dht</c> turns it off). Never used for a private torrent
    /// (BEP 27) nor by the single-peer reference path.</summary>
    public bool Dht { get; init; } = true;

    /// <summary>Local service discovery (BEP 14, <c>--lsd</c>): announce every public torrent by multicast on the local
    /// network (239.192.152.143:6771 and [ff15::efc0:988f]:6771) and take the peers heard there. Off by default: it
    /// sends datagrams to every neighbour on the LAN, which a user should ask for.</summary>
    public bool Lsd { get; init; }

    /// <summary>Ask the router in front of us to forward the peer port, TCP and UDP (<c>--port-mapping</c>): UPnP IGD,
    /// PCP and NAT-PMP, each as allowed, renewed while the session runs and removed when it stops. The external port
    /// the router grants is the one trackers and the DHT are told; the external address it names becomes the DHT's
    /// (BEP 42). Off by default: it changes the router's settings, which a user should ask for. Only the machine's
    /// IPv4 default gateway is asked (SSDP searches on its interface alone); a router that refuses, never answers or
    /// disappears is one log line, and the session goes on.</summary>
    public PortMappingProtocols PortMapping { get; init; }

    /// <summary>A SOCKS5 proxy every connection of the session goes through (<c>--proxy</c>): peers, web seeds and HTTP
    /// trackers by CONNECT (a tracker's or web seed's host name is given to the proxy to resolve), uTP, the DHT and UDP
    /// trackers by UDP ASSOCIATE. With <see cref="Socks5Proxy.Only"/> (<c>--proxy-only</c>) nothing goes direct: no
    /// incoming connections, and <see cref="Lsd"/> and <see cref="PortMapping"/> are refused. Null: none.</summary>
    public Socks5Proxy? Proxy
    {
        get => _proxy;
        init
        {
            _proxy = value;
            _proxied = null; // made again over the new proxy
        }
    }

    private readonly Socks5Proxy? _proxy;

    /// <summary>The DHT's bootstrap nodes, <c>HOST:PORT</c> each; by default the public routers. A saved routing table
    /// is tried first, so a restart needs none.</summary>
    public IReadOnlyList<string> DhtBootstrap { get; init; } = DhtNodeOptions.PublicRouters;

    /// <summary>Where the session saves its DHT routing table and node id (read again at the next start); null keeps
    /// none, except that a download started on its own keeps it beside its resume ledgers
    /// (<c>&lt;output&gt;/.torrentlab/dht.json</c>). Only one running session uses a given file: a second one takes a
    /// fresh node id.</summary>
    public string? DhtStatePath { get; init; }

    /// <summary>MSE/PE protocol encryption for every connection (<c>--encryption</c>): prefer (dial encrypted, fall
    /// back to plaintext; accept both), require (RC4 only) or off (plain BEP 3).</summary>
    public EncryptionPolicy Encryption { get; init; } = EncryptionPolicy.Prefer;

    /// <summary>Which transports carry peer connections, in and out (<c>--transport</c>): both (uTP and TCP, dialled in
    /// the order <see cref="DialTcpFirst"/> says, both accepted on the same port number), TCP only or uTP only.</summary>
    public PeerTransport Transport { get; init; } = PeerTransport.Both;

    /// <summary>With <see cref="PeerTransport.Both"/>, dial TCP first and fall back to uTP (by default uTP is dialled
    /// first, as libtorrent, qBittorrent and Transmission do).</summary>
    public bool DialTcpFirst { get; init; }

    /// <summary>Which peer addresses may be dialled (from trackers, PEX, the DHT or <see cref="DownloadOptions.ExtraPeers"/>);
    /// unspecified, broadcast, multicast and link-local addresses never are.</summary>
    public PeerScope PeerScope { get; init; } = PeerScope.Any;

    /// <summary>Addresses no peer connection may use (<c>--blocklist</c>; Transmission's blocklist, qBittorrent's IP
    /// filter): never dialled, whichever source named them, and closed at accept before any handshake. The list may be
    /// loaded or replaced while the session runs (<see cref="IpBlocklist.Load"/>); null blocks nothing.</summary>
    public IpBlocklist? Blocklist { get; init; }

    /// <summary>Clients no peer connection is kept with (<c>serve --ban-client</c>): a peer whose id or BEP 10 client name
    /// a rule matches is dropped at its handshake or extension handshake and banned. The rules may be replaced while the
    /// session runs (<see cref="ClientBanList.Set"/>); null bans no client.</summary>
    public ClientBanList? ClientBans { get; init; }

    /// <summary>Peer connections open at once across all torrents (each torrent also has its own limit,
    /// <see cref="DownloadOptions.MaxPeers"/>). libtorrent's <c>connections_limit</c>.</summary>
    public int MaxConnections { get; init; } = 500;

    /// <summary>Peers we upload to at once across all torrents (libtorrent's <c>unchoke_slots_limit</c>, qBittorrent's
    /// global maximum of upload slots): each torrent with peers gets an equal share, never less than BEP 3's one regular
    /// and one optimistic slot (so more torrents than half of this may together use more), and never more than its own
    /// cap (<see cref="DownloadOptions.UploadSlots"/>, which names the cases that open more for a while: an unfilled
    /// upload limit, a complete torrent whose peers each take a useful share, a lone seed's first copy). At least 1.</summary>
    public int GlobalUploadSlots { get; init; } = 8;

    /// <summary>File handles kept open at once across all torrents (libtorrent's <c>file_pool_size</c>); a file beyond
    /// them is opened for each read or write. A seeding torrent with no peers holds none.</summary>
    public int MaxOpenFiles { get; init; } = 256;

    /// <summary>The global download limit every torrent of the session takes its tokens from, under its own limit; null:
    /// an unlimited one the session makes (<see cref="Client.TorrentSession.DownloadLimit"/>, whose rate may be set later).
    /// The single-peer reference path takes no limit: a download with <c>MaxPeers = 1</c> under one is refused.</summary>
    public RateLimit? DownloadLimit { get; init; }

    /// <summary>The global upload limit every torrent of the session takes its tokens from, as <see cref="DownloadLimit"/>.</summary>
    public RateLimit? UploadLimit { get; init; }

    /// <summary>How long dialling a peer may take before it counts as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a connected peer may take to complete its handshake (MSE/PE and BEP 3).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a peer may stay silent (not even a keep-alive) before it is dropped.</summary>
    /// <remarks><see cref="IdleTimeout"/>: 3 minutes, BEP 3's two-minute keep-alive and a minute to spare. A peer with
    /// nothing to say (choked but interested, waiting for a super-seed reveal, or simply not interested) is healthy:
    /// libtorrent sends its keep-alive after 60 s of silence, Transmission every 100 s, and BEP 3 says keep-alives are
    /// "generally sent once every two minutes". Our own keep-alives go out every third of it (60 s: libtorrent drops a
    /// peer silent for 120 s). A peer holding our requests is not given this long: snubbing and the request timeout
    /// (<see cref="DownloadOptions.SnubTimeout"/>, <see cref="DownloadOptions.RequestTimeout"/>) move them to others.
    /// The single-peer reference path (<c>MaxPeers = 1</c>), which has no others, leaves a peer that sends it neither an
    /// unchoke nor a block it asked for within 30 s (or this, if shorter) for the next peer.</remarks>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Where the session and its torrents log, one line per event, a category per layer: the port, incoming
    /// connections and LSD (<c>TorrentLab.Session</c>, at <see cref="LogLevel.Information"/>), the DHT node
    /// (<c>TorrentLab.Dht</c>), a torrent's run (<c>TorrentLab.Swarm</c>, <c>TorrentLab.Reference</c>) and a magnet
    /// link's metadata fetch (<c>TorrentLab.Magnet</c>), at <see cref="LogLevel.Debug"/>; a torrent with a
    /// <see cref="DownloadOptions.Logger"/> of its own logs there instead. Whether a level is wanted is asked once, when
    /// the session, node or torrent starts. Null: nothing is logged.</summary>
    public ILoggerFactory? LoggerFactory
    {
        get => _loggerFactory;
        init
        {
            _loggerFactory = value;
            _log = null; // made again from the new factory
        }
    }

    private readonly ILoggerFactory? _loggerFactory;
    private Action<string>? _log;

    /// <summary>The session's own lines (<c>TorrentLab.Session</c>), made from <see cref="LoggerFactory"/> once; the
    /// engine and the tests may set it directly.</summary>
    internal Action<string>? Log
    {
        get => _log ??= EngineLog.Lines(_loggerFactory, EngineLog.Session, LogLevel.Information);
        init => _log = value;
    }

    /// <summary>Lines of <paramref name="category"/> (<see cref="EngineLog"/>) from <see cref="LoggerFactory"/>, or null.</summary>
    internal Action<string>? Lines(string category) => EngineLog.Lines(_loggerFactory, category);

    /// <summary>Incoming connections before they are routed to a torrent (for <c>--trace</c>): a handshake refused for
    /// naming no torrent of the session; once a torrent is named, that torrent's <see cref="DownloadOptions.Trace"/>
    /// sees the handshake and the rest.</summary>
    public Action<WireTraceEvent>? Trace { get; init; }

    /// <summary>With <see cref="Lsd"/>: open the multicast sockets. A test turns it off to hand the session datagrams
    /// itself, so nothing is ever sent to the machine's own network.</summary>
    internal bool LsdSockets { get; init; } = true;

    /// <summary>Adjusts the port mapper's options before it starts (a test points it at a router of its own).</summary>
    internal Func<PortMapperOptions, PortMapperOptions>? ConfigurePortMapper { get; init; }

    /// <summary>The session's clock for its timers (a test moves a manual one).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>True when <paramref name="peer"/> may be dialled: the dial policy under <see cref="PeerScope"/>, and not
    /// in <see cref="Blocklist"/>.</summary>
    internal bool MayDial(IPEndPoint peer) => PeerAddressPolicy.MayDial(peer, PeerScope) && Blocklist?.Contains(peer.Address) != true;

    /// <summary>The network every socket of the session and its torrents goes through: the peer listener (TCP and
    /// the UDP port of uTP and the DHT), the dialler, the DHT, local service discovery, HTTP and UDP trackers, web
    /// seeds and magnet fetches. The kernel's by default; a simulation gives each of its hosts its own.</summary>
    /// <remarks>With <see cref="Proxy"/>, the network given wrapped in the proxy's decorator.</remarks>
    internal INetwork Network
    {
        get => _proxied ??= _proxy is null ? _bound ?? _network : new Socks5Network(_bound ?? _network, _proxy, Log, Time);
        init
        {
            _network = value;
            _proxied = null;
        }
    }

    private readonly INetwork _network = SystemNetwork.Instance;
    private INetwork? _proxied;
    private readonly BoundNetwork? _bound;

    /// <summary>The interface binding a session made of <see cref="BindInterface"/> (<see cref="Swarm.Session.Start"/>),
    /// beneath the proxy if any; null before, or without one.</summary>
    internal BoundNetwork? Bound
    {
        get => _bound;
        init
        {
            _bound = value;
            _proxied = null;
        }
    }

    /// <summary>These settings with a new, not yet started, binding to <see cref="BindInterface"/> (itself when none).</summary>
    internal SessionSettings BoundToInterface() =>
        BindInterface is { } name ? this with { Bound = new BoundNetwork(_network, name, Log, InterfaceSource) } : this;

    /// <summary>Reads <see cref="BindInterface"/>'s state and addresses; null: the system's view (a test fakes it).</summary>
    internal Func<string, InterfaceSnapshot>? InterfaceSource { get; init; }

    /// <summary>The local address of the UDP side: the first bind address, with the dual-stack <c>::</c> read as
    /// <c>0.0.0.0</c> (the DHT speaks IPv4 unless an IPv6 address is bound).</summary>
    internal IPAddress UdpBindAddress => BindAddresses[0].Equals(IPAddress.IPv6Any) ? IPAddress.Any : BindAddresses[0];
}
