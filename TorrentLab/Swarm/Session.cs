using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tracker;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>One BitTorrent client: one peer port (TCP and uTP on the same number), one peer id, one DHT node and
/// shared budgets, with any number of torrents attached. libtorrent calls this a <c>session</c>, Transmission a
/// <c>tr_session</c>, MonoTorrent a <c>ClientEngine</c>.</summary>
/// <remarks>
/// <code>
/// await using var torrents = TorrentSession.Start(new SessionSettings { ListenPort = 6881 }); // holds a Session
/// var a = torrents.Add(first, new DownloadOptions { OutputDirectory = "downloads" });
/// var b = await torrents.SeedAsync(second, new DownloadOptions { OutputDirectory = "data" });
/// </code>
/// <para>An incoming connection is routed by the info hash its handshake names (a hybrid torrent's v1 hash or its
/// truncated v2 hash, BEP 52) to the torrent's swarm, and refused when no torrent of the session has it. Every torrent
/// announces the session's port; the session's DHT node (<c>Session.Dht.cs</c>) looks up and announces each public
/// torrent in turn, and with <see cref="SessionSettings.Lsd"/> one local service discovery socket
/// (<c>Session.Lsd.cs</c>, BEP 14) announces them on the local network. Connections, upload slots, hand-over work (piece checks and writes beside the receive loops) and
/// the global rate limits are shared by all torrents.</para>
/// </remarks>
internal sealed partial class Session : IAsyncDisposable
{
    /// <summary>The saved DHT routing table's file name, in the output folder's state folder.</summary>
    public const string DhtStateFile = "dht.json";

    /// <summary>Where a download into <paramref name="outputDirectory"/> keeps the DHT routing table: beside its resume ledgers.</summary>
    public static string DhtStatePathIn(string outputDirectory) =>
        Path.Combine(OutputPaths.Root(outputDirectory), OutputPaths.StateFolder, DhtStateFile);

    private readonly PeerListener _listener;
    private readonly SwarmDirectory _swarms = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private int _connections, _delivering;
    private bool _disposed;

    private Session(SessionSettings settings, PeerListener listener)
    {
        Settings = settings;
        _listener = listener;
        // Hand-over work (a piece's check and write beside its receive loop) from every torrent shares the cores; at
        // least two, so one torrent's two pending writes (TorrentSwarm.Pieces.cs) fit on a one-core machine too.
        var slots = Math.Max(2, Cores);
        WorkSlots = new SemaphoreSlim(slots, slots);
        OpenFiles = new OpenFileBudget(settings.MaxOpenFiles);
        DownloadLimit = settings.DownloadLimit ?? new RateLimit(0, clock: settings.Time);
        UploadLimit = settings.UploadLimit ?? new RateLimit(0, clock: settings.Time);
        TrackerOptions = new TrackerClientOptions { Dialer = HostDialer.On(settings.Network), Time = settings.Time, Bound = settings.Bound };
    }

    /// <summary>Binds the peer port (TCP and UDP), starts accepting and, unless off, the DHT node.</summary>
    /// <exception cref="SwarmException">The port cannot be bound (and no fallback was allowed or found).</exception>
    /// <exception cref="ArgumentException">A setting out of range (named in the message).</exception>
    public static Session Start(SessionSettings settings)
    {
        SettingsCheck.Check(settings);
        settings = settings.BoundToInterface();
        settings.Bound?.Start(settings.Time);
        PeerListener listener;
        try
        {
            listener = PeerListener.Start(settings.Network, settings.BindAddresses, settings.ListenPort,
                settings.PortFallback && settings.ListenPort != 0, settings.Transport, new UtpOptions { Timers = settings.Time });
        }
        catch
        {
            settings.Bound?.Dispose();
            throw;
        }
        var session = new Session(settings, listener);
        if (settings.Bound is { } bound) bound.Watch.Changed += session.OnInterfaceChanged;
        settings.Log?.Invoke(settings.Proxy is { Only: true } only
            ? $"no incoming connections: every connection goes through the proxy {only}, port {listener.EndPoint.Port} announced ({TransportName(settings.Transport)})"
            : $"listening on {string.Join(", ", listener.EndPoints)} ({TransportName(settings.Transport)})"
                + (settings.Proxy is { } proxy ? $"; connections out go through the proxy {proxy}" : ""));
        session._tasks.Add(listener.RunAsync(session.OnAccepted, session._stop.Token));
        session.StartDht();
        session.StartLsd();
        session.StartPortMapping();
        return session;
    }

    /// <summary>The bound interface is back (<see cref="SessionSettings.BindInterface"/>): every torrent announces now
    /// and dials its known peers again, rather than at the end of the back-off its refused attempts built up.</summary>
    private void OnInterfaceChanged(Network.InterfaceSnapshot before, Network.InterfaceSnapshot now)
    {
        if (before.Usable || !now.Usable || _disposed) return;
        foreach (var swarm in _swarms.All()) swarm.OnNetworkResumed();
    }

    /// <summary>The settings the session was started with (with the interface binding it made, if any).</summary>
    public SessionSettings Settings { get; }

    /// <summary>The peer port (TCP and UDP), which every torrent announces.</summary>
    public int Port => _listener.EndPoint.Port;

    /// <summary>Every local address and port we listen on.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _listener.EndPoints;

    /// <summary>Our peer id, the same for every torrent.</summary>
    public PeerId PeerId => Settings.PeerId;

    /// <summary>The global download limit over every torrent of the session (<see cref="SessionSettings.DownloadLimit"/>,
    /// else an unlimited one); set its <see cref="RateLimit.BytesPerSecond"/> to change it while torrents run.</summary>
    public RateLimit DownloadLimit { get; }

    /// <summary>The global upload limit over every torrent of the session, as <see cref="DownloadLimit"/>.</summary>
    public RateLimit UploadLimit { get; }

    /// <summary>The limit a torrent of the session takes its tokens from: its own limit (<paramref name="own"/>, with
    /// whatever parents it has) and then <paramref name="global"/>, so every torrent sits under the session's cap.</summary>
    internal static RateLimit LimitUnder(RateLimit? own, RateLimit global) =>
        own is null ? global : own.Reaches(global) ? own : RateLimit.Beneath(own, global);

    /// <summary>Torrents attached now.</summary>
    public int TorrentCount => _swarms.SwarmCount;

    /// <summary>Peer connections open now, across all torrents.</summary>
    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>How every torrent of the session asks its trackers: over the session's network.</summary>
    internal TrackerClientOptions TrackerOptions { get; }

    /// <summary>The one UDP socket: uTP connections of every torrent, and the DHT's datagrams.</summary>
    internal UtpSocket? Utp => _listener.Utp;

    /// <summary>The cores this process may use for hand-over work (tests set it through the swarm).</summary>
    internal static int Cores => Environment.ProcessorCount;

    /// <summary>Hand-over work running beside the receive loops, from every torrent.</summary>
    internal SemaphoreSlim WorkSlots { get; }

    /// <summary>What open streams read, per torrent: the windows the swarms fetch first and the written-piece signal
    /// they wait on (<see cref="Pieces.ReadDemand"/>).</summary>
    internal ReadDemands Reads { get; } = new();

    /// <summary>The file handles every torrent's storage keeps open, together (<see cref="SessionSettings.MaxOpenFiles"/>).</summary>
    internal OpenFileBudget OpenFiles { get; }

    /// <summary>Re-hashes of data on disk at once, over all torrents (a resume without a trusted ledger, a seeder's
    /// check): as libtorrent's <c>active_checking</c>, so a thousand torrents added at once do not read a thousand
    /// files at a time. Each check itself uses every core.</summary>
    private readonly SemaphoreSlim _checks = new(1, 1);

    /// <summary>Runs a check of data on disk in its turn among the session's torrents.</summary>
    internal async Task<T> CheckInTurnAsync<T>(Func<Task<T>> check, CancellationToken ct)
    {
        await _checks.WaitAsync(ct).ConfigureAwait(false);
        try { return await check().ConfigureAwait(false); }
        finally { _checks.Release(); }
    }

    /// <summary>Peers delivering blocks now, across all torrents (a loop hands its checks over while fewer than the
    /// cores deliver).</summary>
    internal int DeliveringPeers => Volatile.Read(ref _delivering);

    internal void OnDelivering(bool started) => Interlocked.Add(ref _delivering, started ? 1 : -1);

    /// <summary>Adds a torrent: incoming handshakes naming its info hashes reach it from now on.</summary>
    /// <exception cref="InvalidOperationException">The session is stopping.</exception>
    /// <exception cref="SwarmException">A torrent with the same info hash is attached already.</exception>
    internal void Attach(ISessionTorrent swarm)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_swarms.TryAdd(swarm))
            throw new SwarmException($"torrent '{swarm.Torrent.Name}' ({swarm.Torrent.InfoHash.Hex}) is running in this session already");
        if (swarm.UsesDht) ScheduleDht(swarm);
        ScheduleLsd(swarm);
    }

    /// <summary>Removes a torrent (its peers are its own to close).</summary>
    internal void Detach(ISessionTorrent swarm) => _swarms.Remove(swarm);

    /// <summary>Hands a torrent over from <paramref name="old"/> to <paramref name="now"/> (a download's swarm to the
    /// seeding torrent that keeps it): handshakes and DHT lookups reach the new one from now on.</summary>
    internal void Replace(ISessionTorrent old, ISessionTorrent now)
    {
        if (!_swarms.Replace(old, now)) throw new InvalidOperationException($"torrent '{old.Torrent.Name}' is not attached");
        if (now.UsesDht) ScheduleDht(now);
        ScheduleLsd(now); // the same hashes: their turn is kept
    }

    /// <summary>The torrent serving <paramref name="infoHash"/>, or null.</summary>
    internal ISessionTorrent? Find(InfoHash infoHash) => _swarms.Find(infoHash);

    /// <summary>Takes one of the session's connections for a peer; false when all are in use.</summary>
    internal bool TryAddConnection()
    {
        while (true)
        {
            var now = Volatile.Read(ref _connections);
            if (now >= Settings.MaxConnections) return false;
            if (Interlocked.CompareExchange(ref _connections, now + 1, now) == now) return true;
        }
    }

    internal void RemoveConnection() => Interlocked.Decrement(ref _connections);

    /// <summary>True while another connection would fit.</summary>
    internal bool HasRoomForConnections => Volatile.Read(ref _connections) < Settings.MaxConnections;

    /// <summary>The upload slots (regular and optimistic) a torrent may use now: a fair share of the session's
    /// <see cref="SessionSettings.GlobalUploadSlots"/> among the torrents with peers, at most its own limit, never fewer than
    /// two (one regular, one optimistic: BEP 3's minimum to find better peers).</summary>
    internal int UploadSlotsFor(int torrentLimit) => FairShare(Settings.GlobalUploadSlots, _swarms.CountWithPeers(), torrentLimit);

    /// <summary>One torrent's slots when <paramref name="torrentsWithPeers"/> share <paramref name="sessionSlots"/>.</summary>
    internal static int FairShare(int sessionSlots, int torrentsWithPeers, int torrentLimit) =>
        Math.Min(torrentLimit, Math.Max(2, sessionSlots / Math.Max(1, torrentsWithPeers)));

    private static string TransportName(PeerTransport transport) => transport switch
    {
        PeerTransport.Tcp => "TCP",
        PeerTransport.Utp => "uTP",
        _ => "TCP and uTP",
    };

    /// <summary>Stops accepting, removes the port's mappings on the router, stops the DHT node (which saves its table)
    /// and closes the port. Torrents still attached are the
    /// caller's to stop first; their connections end with the port.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.StopAccepting();
        // Real seconds, not the session's clock: a bound on the user's wait at exit that a healthy stop never reaches
        // (the loops end with the cancellation), and that a manual clock nobody moves then would never end.
        await Task.WhenAny(Task.WhenAll(_tasks), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        await StopPortMappingAsync().ConfigureAwait(false); // the router forgets us before the port closes
        await StopDhtAsync().ConfigureAwait(false);
        StopLsd();
        await _listener.DisposeAsync().ConfigureAwait(false); // uTP last: closed streams sent their FIN
        if (Settings.Bound is { } bound)
        {
            bound.Watch.Changed -= OnInterfaceChanged;
            bound.Dispose();
        }
        _stop.Dispose();
    }
}
