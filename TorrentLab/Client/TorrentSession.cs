using System.Threading.Channels;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Swarm;

namespace TorrentLab.Client;

/// <summary>A BitTorrent client that owns its torrents: one engine session (peer port, peer id, DHT node, global
/// limits) and a <see cref="TorrentHandle"/> per torrent added to it, as MonoTorrent's <c>ClientEngine</c> and
/// libtorrent's <c>session</c>.</summary>
/// <remarks>
/// <code>
/// await using var session = TorrentSession.Start(new SessionSettings { DownloadLimit = new RateLimit(4 &lt;&lt; 20) });
/// var handle = await session.AddAsync("magnet:?xt=urn:btih:...", new DownloadOptions { OutputDirectory = "downloads" });
/// await foreach (var alert in session.Alerts.ReadAllAsync(ct)) Console.WriteLine(alert);
/// </code>
/// <para>What happens is reported as one ordered stream of <see cref="TorrentAlert"/>s, read with
/// <see cref="ChannelReader{T}.ReadAllAsync"/>, not as .NET events: an event runs the subscriber's code on the engine's
/// threads (under its locks, in the middle of a piece's write), while a stream is read at the reader's own pace on its
/// own thread, in order, as libtorrent's <c>pop_alerts</c>. The stream keeps the newest
/// <see cref="AlertCapacity"/> alerts a reader has not taken yet and drops the oldest beyond them.</para>
/// </remarks>
public sealed class TorrentSession : IAsyncDisposable
{
    /// <summary>Alerts kept for a slow reader (libtorrent's <c>alert_queue_size</c> is 2000 by default).</summary>
    public static int AlertCapacity { get; } = 4096;

    private readonly Lock _lock = new();
    private readonly Channel<TorrentAlert> _alerts = Channel.CreateBounded<TorrentAlert>(
        new BoundedChannelOptions(AlertCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false });
    // By info hash, and in the order added: an add costs one lookup, not a walk of ten thousand torrents.
    private readonly Dictionary<InfoHash, TorrentHandle> _byHash = [];
    private readonly List<TorrentHandle> _order = [];
    private TorrentHandle[]? _list; // _order as handed out, made again after a change
    private bool _disposed;

    private TorrentSession(Session session)
    {
        Session = session;
        if (session.Settings.Bound is { } bound) bound.Watch.Changed += OnInterfaceChanged;
    }

    /// <summary>The bound interface went down or came back: one alert for each torrent, each way.</summary>
    private void OnInterfaceChanged(Network.InterfaceSnapshot before, Network.InterfaceSnapshot now)
    {
        if (before.Usable == now.Usable || Session.Settings.Bound is not { } bound) return;
        var (kind, line) = now.Usable
            ? (TorrentAlertKind.InterfaceUp, $"interface {bound.InterfaceName} up at {string.Join(", ", now.Addresses)}: resuming")
            : (TorrentAlertKind.InterfaceDown, bound.DownReason ?? $"interface {bound.InterfaceName} down: sending nothing");
        foreach (var torrent in Torrents)
            Report(new TorrentAlert(kind, torrent) { Message = line, PiecesDone = torrent.PiecesDone, BytesDone = torrent.BytesDone });
    }

    /// <summary>Starts a session: binds its peer port (TCP and UDP) and, unless off, its DHT node.</summary>
    /// <exception cref="SwarmException">The port cannot be bound.</exception>
    public static TorrentSession Start(SessionSettings settings) => new(Session.Start(settings));

    /// <summary>The engine's session: its port, peer id, settings and global limits
    /// (<see cref="Session.DownloadLimit"/>, <see cref="Session.UploadLimit"/>, live).</summary>
    internal Session Session { get; }

    /// <summary>The peer port its listener bound (TCP, and UDP for uTP and the DHT): the one announced for every torrent.</summary>
    public int Port => Session.Port;

    /// <summary>Nodes in its DHT routing table now (BEP 5; of the IPv4 table): 0 without the DHT.</summary>
    public int DhtNodes => Session.Dht?.NodeCount ?? 0;

    /// <summary>The settings it was started with (what its torrents share).</summary>
    public SessionSettings Settings => Session.Settings;

    /// <summary>The body at an http or https URL (a .torrent, a feed, a blocklist), at most <paramref name="maxBytes"/>
    /// bytes within <paramref name="timeout"/>, fetched as the session's trackers are: out of
    /// <see cref="SessionSettings.BindInterface"/> (refused while it is down) or through <see cref="SessionSettings.Proxy"/>,
    /// never from an unspecified, broadcast, multicast or link-local address (checked after DNS and each redirect).</summary>
    /// <exception cref="TorrentUrlException">Refused, unreachable (the interface down, the proxy unreachable), not 200, or too large.</exception>
    public Task<byte[]> FetchAsync(string url, long maxBytes, TimeSpan timeout, CancellationToken ct = default) =>
        TorrentUrl.FetchAsync(Session.Settings.Network, url, maxBytes, timeout, ct);

    /// <summary>Sends one HTTP request (a webhook's POST) the same way as <see cref="FetchAsync"/>: through the session's
    /// interface or proxy, under the same address rule, following no redirect; the answer whatever its status.</summary>
    /// <exception cref="TorrentUrlException">Refused, or no answer (the interface down, the proxy unreachable).</exception>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct = default) =>
        TorrentUrl.SendAsync(Session.Settings.Network, request, ct);

    /// <summary>The global download limit over every torrent's own (<see cref="SessionSettings.DownloadLimit"/>, or an
    /// unlimited one made by the session); set its <see cref="RateLimit.BytesPerSecond"/> to change it live.</summary>
    public RateLimit DownloadLimit => Session.DownloadLimit;

    /// <summary>The global upload limit, as <see cref="DownloadLimit"/>.</summary>
    public RateLimit UploadLimit => Session.UploadLimit;

    /// <summary>The torrents of the session, in the order they were added.</summary>
    public IReadOnlyList<TorrentHandle> Torrents { get { lock (_lock) return _list ??= [.. _order]; } }

    /// <summary>The torrent with this info hash, or null.</summary>
    public TorrentHandle? Find(InfoHash infoHash)
    {
        lock (_lock) return _byHash.GetValueOrDefault(infoHash);
    }

    /// <summary>What happens to the session's torrents, in order (see the remarks on why a stream).</summary>
    public ChannelReader<TorrentAlert> Alerts => _alerts.Reader;

    /// <summary>Adds a .torrent file or a magnet link and starts it. A magnet link's metadata is fetched first (from its
    /// <c>x.pe</c> peers, trackers and the session's DHT node); its peers are kept for the download and its <c>so</c>
    /// selection (BEP 53) becomes the file priorities unless <see cref="DownloadOptions.FilePriorities"/> is set.</summary>
    /// <param name="source">A path to a .torrent file, or a <c>magnet:</c> link.</param>
    /// <param name="options">The torrent's own settings (folder, trackers, peers, limits, priorities, seeding); its
    /// <see cref="DownloadOptions.Session"/> must be left alone: the session's settings rule.</param>
    /// <exception cref="ArgumentException">A setting out of range (named in the message).</exception>
    /// <param name="ct">Cancels a magnet link's metadata fetch.</param>
    /// <exception cref="ArgumentException">The options set session settings, contradict each other, or ask what their
    /// engine cannot honour in this session (a rate limit, seeding or uTP with <c>MaxPeers = 1</c>).</exception>
    /// <exception cref="InvalidOperationException">The session has the torrent already.</exception>
    public async Task<TorrentHandle> AddAsync(string source, DownloadOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckFor(options);
        var opened = await TorrentClient.OpenAsync(Session, source, options, ct: ct).ConfigureAwait(false);
        return Add(opened.Torrent, opened.WithPeersAndSelection(options), known: null, fromMagnet: TorrentClient.IsMagnet(source), start: true);
    }

    /// <summary>Opens a .torrent file or a magnet link for this session without adding it: a magnet link's metadata is
    /// fetched with the session's peer id and port (its <c>x.pe</c> peers, trackers, the session's DHT node) and checked
    /// against its info hash. The caller may then choose file priorities and add it
    /// (<see cref="Add(Torrent, DownloadOptions, bool, PieceStates?)"/>), giving
    /// <see cref="OpenedTorrent.Peers"/> as <see cref="DownloadOptions.ExtraPeers"/> (as <see cref="AddAsync(string, DownloadOptions, CancellationToken)"/> does).</summary>
    /// <param name="source">A path to a .torrent file, or a <c>magnet:</c> link.</param>
    /// <param name="options">The peer-finding settings of the fetch (its trackers, peers, logger, waiting line).</param>
    /// <param name="ct">Cancels the fetch.</param>
    public Task<OpenedTorrent> OpenAsync(string source, DownloadOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return TorrentClient.OpenAsync(Session, source, options, ct: ct);
    }

    /// <summary>Fetches a magnet link's metadata (BEP 9) as one of this session's torrents (its peer id, its port in
    /// announces, its DHT node) and returns it with the link's peers and selection, adding nothing: an application
    /// that keeps the .torrent (a server saving it beside its list) adds it with <see cref="Add(Torrent, DownloadOptions, bool, PieceStates?)"/> afterwards.</summary>
    /// <param name="magnet">A <c>magnet:</c> link.</param>
    /// <param name="options">The peer-finding settings of the fetch (its trackers, peers, logger, waiting line).</param>
    /// <param name="ct">Cancels the fetch.</param>
    /// <exception cref="Magnet.MagnetException">Not a valid magnet link.</exception>
    /// <exception cref="Magnet.MetadataException">No peer gave metadata matching the info hash in time, or nobody to ask.</exception>
    /// <exception cref="Tracker.TrackerException">Every tracker kept failing and no other source gave a peer in time.</exception>
    public Task<MagnetTorrent> FetchMagnetAsync(string magnet, DownloadOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(magnet);
        return TorrentClient.FetchMagnetAsync(Session, magnet, options, ct);
    }

    /// <summary>Adds a torrent whose metadata the caller has (parsed, or fetched with <see cref="TorrentClient.OpenAsync(string, DownloadOptions, string?, CancellationToken)"/>) and starts it.</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="options">The torrent's own settings, as for <see cref="AddAsync(string, DownloadOptions, CancellationToken)"/>.</param>
    /// <param name="start">False adds it paused (<see cref="TorrentHandle.Start"/> starts it).</param>
    /// <param name="known">The pieces the caller knows verified in <see cref="DownloadOptions.OutputDirectory"/>, read
    /// from its resume ledger already (<see cref="TorrentClient.ReadLedger"/>, <see cref="TorrentClient.PrepareFilesAsync(Metainfo.Torrent, string, CancellationToken)"/>):
    /// the handle starts from them instead of reading the ledger again (a server loading ten thousand torrents reads
    /// each once). Null: the handle reads the ledger, and takes the file priorities it recorded unless
    /// <see cref="DownloadOptions.FilePriorities"/> is set. Each run still makes its own resume decision.</param>
    /// <exception cref="ArgumentException">The options set session settings, contradict each other, or (when it starts
    /// now) ask what their engine cannot honour in this session (a rate limit, seeding or uTP with <c>MaxPeers = 1</c>;
    /// added paused, such a torrent fails with that error when started); a piece map of another length.</exception>
    /// <exception cref="InvalidOperationException">The session has the torrent already.</exception>
    public TorrentHandle Add(Torrent torrent, DownloadOptions options, bool start = true, PieceStates? known = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        // A torrent added paused is held whatever it asks (a server reloads its list so); what its engine cannot honour
        // is refused when it starts, here or later (its Error then says why).
        if (start) CheckFor(options);
        else CheckOptions(options);
        return Add(torrent, options, known, fromMagnet: false, start);
    }

    /// <summary>Adds a torrent to seed from data already on disk, and starts it (libtorrent's seed mode, the check made
    /// first): the data below <see cref="DownloadOptions.OutputDirectory"/> is hashed (reporting to
    /// <see cref="DownloadOptions.Checking"/>, in turn with the session's other checks), then what verified is served
    /// until the torrent is paused or removed. Such a torrent fetches nothing and writes nothing below its folder (no
    /// resume ledger); a resume seeds the same pieces again, a recheck hashes again.</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="options">The torrent's own settings (folder, trackers, peers, upload limit, super-seeding); it seeds
    /// until paused, so a seed ratio or time is refused.</param>
    /// <param name="allowPartial">Seed an incomplete copy: only the verified pieces are announced and served.</param>
    /// <param name="ct">Cancels the check.</param>
    /// <exception cref="Storage.StorageException">The folder does not exist, or the data cannot be read.</exception>
    /// <exception cref="SwarmException">None of its pieces verified, or some did not and <paramref name="allowPartial"/>
    /// is false.</exception>
    /// <exception cref="ArgumentException">Session settings on the options, a seed ratio or time, the single-peer
    /// reference engine named, or a value out of range.</exception>
    /// <exception cref="InvalidOperationException">The session has the torrent already.</exception>
    public async Task<TorrentHandle> SeedAsync(Torrent torrent, DownloadOptions options, bool allowPartial = false, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SeedRatio is not null || options.SeedTime is not null || options.SeedIdleTime is not null)
            throw new ArgumentException("a torrent added to seed serves until it is paused or removed: SeedRatio, SeedTime and SeedIdleTime are for a download that seeds after", nameof(options));
        // It never downloads: the swarm engine seeds, whatever the peer cap (1 alone would pick the single-peer story).
        options = options with { SeedAfterDownload = true, Engine = options.Engine == DownloadEngine.Auto ? DownloadEngine.Swarm : options.Engine };
        CheckFor(options);
        ThrowIfHas(torrent);
        if (!Directory.Exists(options.OutputDirectory)) throw new Storage.StorageException($"data folder '{options.OutputDirectory}' does not exist");
        var have = await VerifyToSeedAsync(Session, torrent, TorrentClient.LoggingTo(options, Session, EngineLog.Swarm), allowPartial, ct).ConfigureAwait(false);
        return Add(torrent, options, PieceStates.From(have), fromMagnet: false, start: true, seedOnly: have);
    }

    /// <summary>Hashes the data to seed (reporting to <see cref="DownloadOptions.Checking"/>; in <paramref name="session"/>,
    /// in turn with its other checks) and returns the pieces that verified.</summary>
    /// <exception cref="SwarmException">None verified, or not all without <paramref name="allowPartial"/>.</exception>
    /// <exception cref="StorageException">The data cannot be read.</exception>
    internal static async Task<Wire.Bitfield> VerifyToSeedAsync(Session? session, Torrent torrent, DownloadOptions options, bool allowPartial,
        CancellationToken ct)
    {
        options.Log?.Invoke($"verifying '{torrent.Name}' in {Path.GetFullPath(options.OutputDirectory)}");
        var checking = options.Checking is null ? null : new PieceVerifierOptions { Progress = options.Checking };   // seed's checking line
        var have = session is null
            ? await PieceVerifier.VerifyAsync(torrent, options.OutputDirectory, checking, ct).ConfigureAwait(false)
            : await session.CheckInTurnAsync(() => PieceVerifier.VerifyAsync(torrent, options.OutputDirectory, checking, ct), ct).ConfigureAwait(false);
        if (have.IsEmpty)
            throw new SwarmException($"nothing to seed: none of the {torrent.PieceCount} pieces of '{torrent.Name}' is intact in '{options.OutputDirectory}'");
        if (!have.IsComplete && !allowPartial)
            throw new SwarmException($"the data is incomplete: {have.Count} of {torrent.PieceCount} pieces verified in '{options.OutputDirectory}' (seed partial data with --partial)");
        return have;
    }

    private void ThrowIfHas(Torrent torrent)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byHash.ContainsKey(torrent.InfoHash)) throw InSessionAlready(torrent);
        }
    }

    private static InvalidOperationException InSessionAlready(Torrent torrent) =>
        new($"torrent '{torrent.Name}' ({torrent.InfoHash.Hex}) is in this session already");

    private TorrentHandle Add(Torrent torrent, DownloadOptions options, PieceStates? known, bool fromMagnet, bool start, Wire.Bitfield? seedOnly = null)
    {
        var handle = new TorrentHandle(this, torrent, options, known, seedOnly);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_byHash.TryAdd(torrent.InfoHash, handle)) throw InSessionAlready(torrent);
            _order.Add(handle);
            _list = null;
        }
        if (fromMagnet) Report(new TorrentAlert(TorrentAlertKind.MetadataReceived, handle) { PiecesDone = handle.PiecesDone, BytesDone = handle.BytesDone });
        if (start) handle.Start();
        return handle;
    }

    /// <summary>Removes a torrent: it stops (peers leave, trackers hear <c>stopped</c>, the ledger is saved) and leaves
    /// the list; with <paramref name="deleteData"/>, its files and ledger are deleted too.</summary>
    public async Task RemoveAsync(TorrentHandle torrent, bool deleteData = false)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        lock (_lock)
        {
            if (_byHash.GetValueOrDefault(torrent.Torrent.InfoHash) != torrent) return;
            _byHash.Remove(torrent.Torrent.InfoHash);
            _order.Remove(torrent); // a walk, once per removal
            _list = null;
        }
        await torrent.PauseAsync().ConfigureAwait(false);
        torrent.Removed();
        if (deleteData) TorrentData.Delete(torrent.Torrent, torrent.SaveFolder);
    }

    /// <summary>Refuses what this session's torrent could not honour: session settings on the torrent (here they would
    /// be silently ignored), and a combination its engine cannot honour under the session's settings (the single-peer
    /// reference engine, <c>MaxPeers = 1</c>, takes no rate limit, its own or the session's, and neither seeds nor
    /// speaks uTP).</summary>
    private void CheckFor(DownloadOptions options)
    {
        CheckOptions(options);
        TorrentClient.CheckCombination(Session, options);
    }

    /// <summary>Refuses session settings given to a torrent: here they would be silently ignored.</summary>
    internal static void CheckOptions(DownloadOptions options)
    {
        SettingsCheck.Check(options);
        if (options.SessionSet)
            throw new ArgumentException("DownloadOptions.Session (or a session setting on DownloadOptions: ListenPort, Dht, " +
                "Encryption, ...) is for a download that makes its own session; a torrent added to a TorrentSession uses the " +
                "session's settings: set them in the SessionSettings the session was started with", nameof(options));
    }

    internal void Report(TorrentAlert alert) =>
        _alerts.Writer.TryWrite(alert with { Time = Session.Settings.Time.GetUtcNow() });

    /// <summary>Stops every torrent (each ledger saved) while the router's port mappings are removed, then the
    /// session's port and DHT node.</summary>
    public async ValueTask DisposeAsync()
    {
        TorrentHandle[] torrents;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            torrents = [.. _order];
        }
        // The router forgets us first, beside the torrents' stops (a 'stopped' announce may take its 3 s): a stop cut
        // short after this leaves no forwarded port behind.
        var unmapping = Session.StopPortMappingAsync();
        try
        {
            await Task.WhenAll(torrents.Select(t => t.PauseAsync())).ConfigureAwait(false);
        }
        finally
        {
            if (Session.Settings.Bound is { } bound) bound.Watch.Changed -= OnInterfaceChanged;
            _alerts.Writer.TryComplete();
            await unmapping.ConfigureAwait(false);
            await Session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
