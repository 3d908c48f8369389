using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Web;

/// <summary>The web interface's torrents: add, start, pause and remove them, and keep the list across restarts.</summary>
/// <remarks>Every download goes below the downloads folder, into the torrent's save folder there (the torrent's name is
/// the file or top folder inside it); no request can choose a place outside. No two torrents' data overlap, so they
/// never write the same files (<see cref="DataPlaces"/> has the rule).</remarks>
internal sealed partial class TorrentManager : IAsyncDisposable
{
    private readonly Dictionary<string, ManagedTorrent> _torrents = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly WebServerOptions _options;
    private readonly TorrentListStore _store;
    private readonly DataPlaces _places; // guarded by _lock
    private readonly ServerSettings _settings;
    private int _listVersion;

    // One of each for every torrent: ten thousand torrents share them rather than hold a closure each.
    private readonly Func<ManagedTorrent, bool> _seedsWhenComplete;
    private readonly Func<ManagedTorrent, int> _queuePositionOf;
    private readonly Func<ManagedTorrent, string?> _spaceWaitOf;

    private TorrentManager(WebServerOptions options)
    {
        _options = options;
        Downloads = DataPlaces.FullPath(options.Downloads);
        _places = new DataPlaces(Downloads);
        Limits = new GlobalLimits(options, Save);
        _store = new TorrentListStore(Downloads);
        _settings = new ServerSettings(options);
        Disk = new DiskGuard(options.DiskProbe ?? DiskGuard.Probe, options.Log);
        SeedLimits = new ShareLimits(this, options.Log);
        Labels = new TorrentLabels(Snapshot, Save, SeedLimits.ApplySoon); // a category's limits reach its running torrents
        Queue = new TorrentQueue(_lock, _torrents, _settings, OptionsFor, options.ConfigureDownload, () => Interlocked.Increment(ref _changes))
        {
            WaitsForSpace = t => Disk.IsLow(FolderOf(t)), CategoryLimitsOf = t => Labels.LimitsOf(t.Category),
        };
        _seedsWhenComplete = t => Queue.SeedFor(t).Seed;
        _queuePositionOf = Queue.Position;
        _spaceWaitOf = t => Disk.WaitReason(FolderOf(t));
        Blocklist = new ServerBlocklist(options, _store.Folder, _settings, Save, () => Session);
        Watch = new ServerWatchFolder(this, options, _settings, Save);
        Shares = new TorrentShares(this, OptionsFor, Save);
        Adjust = new TorrentAdjustments(this, Save);
        Hooks = new ServerHooks(this, _settings, Save, options.HookLimits, options.Clock, options.Log);
    }

    /// <summary>The peer port the command line named or an earlier run saved; null for the default (6881, which may fall
    /// back). The only peer port ever saved.</summary>
    private int? _configuredPeerPort;

    /// <summary>The one session of every torrent: one peer port, one DHT node, shared budgets; it holds a handle per torrent.</summary>
    public TorrentSession Session { get; private set; } = null!;

    private Task _following = Task.CompletedTask; // the reader of the session's alerts

    /// <summary>Starts the session from the settings in force (<see cref="WebServerOptions.ConfigureSession"/> last).</summary>
    private TorrentSession StartSession()
    {
        var current = Settings;
        var settings = new SessionSettings
        {
            ListenPort = current.PeerPort!.Value,
            // A port given on the command line or saved by an earlier run is a promise: bound, or the start fails. Only
            // the default may move to another of 6881-6889 (and that one is never saved).
            PortFallback = _configuredPeerPort is null,
            BindAddresses = _options.PeerBindAddresses,
            BindInterface = _options.PeerBindInterface,
            Encryption = _options.Encryption,
            Dht = current.Dht!.Value,
            DhtBootstrap = current.DhtBootstrap!,
            Lsd = _options.Lsd,
            // Proxy only: nothing direct, so no router is asked (a mapping saved by an earlier start waits for a start without it).
            // Bound to an interface: the router is on the default route, which that traffic does not take.
            PortMapping = _options.Proxy is { Only: true } || _options.PeerBindInterface is not null
                ? PortMapping.PortMappingProtocols.None : WebSettings.ProtocolsOf(current.PortMapping),
            Proxy = _options.Proxy,
            DhtStatePath = TorrentClient.DhtStatePathIn(Downloads), // beside the ledgers: a restart needs no bootstrap node
            MaxConnections = current.MaxConnections!.Value,
            DownloadLimit = Limits.Download, // the session applies them; each torrent's own limit sits under them
            UploadLimit = Limits.Upload,
            Blocklist = Blocklist.List, // one list, filled and emptied while the session runs
            ClientBans = ClientBans, // one list too, replaced while the session runs (SetBanClients)
            LoggerFactory = LineLogger.For(_options.Log), // the session's lines; each torrent logs to its own ring
        };
        return TorrentSession.Start(_options.ConfigureSession?.Invoke(settings) ?? settings);
    }

    /// <summary>Follows the session's alerts until it stops: a torrent's state changed (a download completed, began to
    /// seed, failed), so the list is saved and the queue may start the next one. An alert is a hint, not the record:
    /// each torrent's state is read from its handle, so alerts the session dropped in a burst lose nothing but a
    /// pump, which the next alert (or the schedule's) makes.</summary>
    private async Task FollowAlertsAsync()
    {
        await foreach (var alert in Session.Alerts.ReadAllAsync().ConfigureAwait(false))
        {
            var managed = Find(alert.Torrent.Torrent.InfoHash.Hex);
            managed?.Observe(); // a run began, began to seed or ended; payload moved (CompletedAt, LastActivity, run times)
            Hooks.Follow(alert, managed); // completed, failed: the hooks' events
            if (alert is { Kind: TorrentAlertKind.PeerBanned, Peer: { } peer }) managed?.Peers.Banned(peer.ToString(), alert.Message ?? "banned");
            if (alert.Kind != TorrentAlertKind.StateChanged) continue;
            if (alert.State is Client.TorrentState.Completed or Client.TorrentState.Failed && managed is not null)
            {
                managed.Settle();
                managed.NoteFailure();
                if (alert.State == Client.TorrentState.Completed) SeedLimits.OnCompleted(managed);
            }
            Save();
            Queue.PumpSoon();
        }
    }

    /// <summary>The limits every torrent of this server shares: the normal ones, the alternative ones and their schedule.</summary>
    public GlobalLimits Limits { get; }

    /// <summary>Which torrents run, and in which order the waiting ones start.</summary>
    public TorrentQueue Queue { get; }

    /// <summary>The list of addresses no peer is dialled at or accepted from, and where it is read from.</summary>
    public ServerBlocklist Blocklist { get; }

    /// <summary>Changes to one torrent's own settings (trackers, peers, order, priorities, limits...), each saved.</summary>
    public TorrentAdjustments Adjust { get; }

    /// <summary>The ratio, seeding time and idle limits, and what happens to a torrent that reaches one.</summary>
    public ShareLimits SeedLimits { get; }

    /// <summary>Torrents made here of data below the downloads folder, and seeded.</summary>
    public TorrentShares Shares { get; }

    /// <summary>The folder watched for .torrent and .magnet files to add.</summary>
    public ServerWatchFolder Watch { get; }

    /// <summary>The programs and the webhook run on a torrent's events.</summary>
    public ServerHooks Hooks { get; }

    /// <summary>The categories and tags of the torrents.</summary>
    public TorrentLabels Labels { get; }

    /// <summary>The downloads folder, absolute.</summary>
    public string Downloads { get; }

    /// <summary>Grows when a torrent is added or removed.</summary>
    public int ListVersion => Volatile.Read(ref _listVersion);

    /// <summary>Loads the saved list and resumes the torrents that were running. An entry that cannot be used (not
    /// an info hash, its .torrent copy missing, damaged or of another torrent) is skipped with a warning: one bad
    /// entry never keeps the server, and the other torrents, from starting.</summary>
    /// <exception cref="Swarm.SwarmException">The peer port cannot be bound.</exception>
    public static TorrentManager Open(WebServerOptions options)
    {
        var manager = new TorrentManager(options);
        Directory.CreateDirectory(manager.Downloads);
        var entries = manager._store.Load(options.Log);
        manager._settings.Load(manager._store.LoadedSettings);
        try { manager.ClientBans.Set(manager.Settings.BanClients ?? []); }
        catch (ArgumentException e) { options.Log?.Invoke($"warning: the saved client ban rules are not used: {e.Message}"); }
        manager._configuredPeerPort = options.PeerPort ?? manager._store.LoadedSettings?.PeerPort;
        manager.Labels.Load(manager._store.LoadedCategories, manager._store.LoadedTags, manager._store.LoadedCategoryLimits);
        manager.Limits.Start(manager._store.LoadedLimits, manager._store.LoadedAltSpeed);
        manager.Session = manager.StartSession();
        // The list is fetched through the session (its interface or proxy), so after it starts: the session refuses
        // nobody meanwhile, and no torrent is loaded yet.
        try { manager.Blocklist.Start(manager._store.LoadedSettings?.Blocklist); }
        catch (WebApiException)
        {
            manager.Session.DisposeAsync().AsTask().GetAwaiter().GetResult(); // Open runs on a pool thread: no context to block
            throw;
        }
        manager._following = Task.Run(manager.FollowAlertsAsync);
        manager._settings.Change(s => s with { PeerPort = manager.Session.Port }); // reported: the port bound
        // A port the command line named is saved at once: the next start asks for it again (a port forwarded on a
        // router stays right). A fallback from the default is never saved.
        if (manager._store.LoadedSettings?.PeerPort != manager._configuredPeerPort
            || (options.PortMapping is not null && !WebSettings.NamesOf(options.PortMapping.Value).SequenceEqual(manager._store.LoadedSettings?.PortMapping ?? [])))
            manager.WriteList(); // so is port mapping turned on or off there
        foreach (var entry in entries)
        {
            if (manager.Load(entry) is not { } managed) continue;
            lock (manager._lock)
            {
                manager._torrents[managed.InfoHash] = managed;
                manager._places.Take(managed.Torrent, managed.SaveFolder, managed.InfoHash);
                manager.Queue.ChangedLocked();
            }
            if (entry.Running) manager.Queue.Enqueue(managed); // in the saved order; the queue starts what fits
        }
        manager.StartDiskGuard(); // before the first pump: a download on a full volume waits from the start
        manager.Queue.Pump();
        manager.Watch.Start(); // after the saved torrents: a file dropped again while stopped is "added already"
        manager.StartRss();
        return manager;
    }

    /// <summary>The torrent of a saved entry, or null (with a warning) when the entry cannot be used.</summary>
    private ManagedTorrent? Load(TorrentEntry entry)
    {
        // The info hash names a file: only 40 or 64 hex digits may reach a path.
        if (entry.InfoHash is not { } hash || !IsInfoHash(hash) || hash != hash.ToLowerInvariant())
        {
            _options.Log?.Invoke($"warning: {_store.ListPath}: skipping an entry whose info hash is not 40 or 64 lowercase hex digits");
            return null;
        }
        try
        {
            var torrent = Torrent.Load(_store.TorrentPath(hash));
            if (torrent.InfoHash.Hex != hash) throw new MetainfoException($"its info hash is {torrent.InfoHash.Hex}");
            torrent = Renamed(torrent, entry.Remote?.Files); // its files where a rename put them
            // The saved folder is checked again: a symbolic link put in its place while the server was stopped counts.
            var folder = SaveFolderOf(entry.Folder);
            DataPlaces.CheckPaths(torrent, FolderPath(folder));
            lock (_lock)
            {
                if (_torrents.ContainsKey(hash)) throw new MetainfoException("it is listed twice");
                _places.CheckFree(torrent, folder);
            }
            var managed = Track(torrent, folder, entry.AddedAt, PeersOf(entry.Peers), null, entry);
            managed.Seeding = entry.Seeding ?? SeedPolicy.Default;
            managed.LoadRemote(entry.Remote);
            Labels.Load(managed, entry.Category);
            return managed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TorrentLabException)
        {
            // WebApiException is a TorrentLabException: a save folder now outside, a refused tracker, an overlap.
            _options.Log?.Invoke($"warning: skipping saved torrent {hash}: {(e is FileNotFoundException ? "its .torrent copy is missing" : e.Message)}");
            return null;
        }
    }

    private static IReadOnlyList<IPEndPoint> PeersOf(IReadOnlyList<string>? saved) =>
        [.. (saved ?? []).Select(text => IPEndPoint.TryParse(text, out var peer) ? peer : null).OfType<IPEndPoint>()];

    /// <summary>Every torrent, oldest first.</summary>
    public IReadOnlyList<ManagedTorrent> All
    {
        get { lock (_lock) return [.. _torrents.Values.OrderBy(t => t.AddedAt).ThenBy(t => t.InfoHash, StringComparer.Ordinal)]; }
    }

    /// <summary>Every torrent, in no order: a copy taken at once, without sorting.</summary>
    private IReadOnlyList<ManagedTorrent> Snapshot()
    {
        lock (_lock) return [.. _torrents.Values];
    }

    /// <exception cref="WebApiException">404: no torrent has this info hash.</exception>
    public ManagedTorrent Get(string infoHash) =>
        Find(infoHash) ?? throw new WebApiException(404, $"no torrent with info hash '{(IsInfoHash(infoHash) ? infoHash : "(not an info hash)")}'");

    /// <summary>True for 40 hex digits (BEP 3's SHA-1 info hash) or 64 (BEP 52's SHA-256 one).</summary>
    public static bool IsInfoHash(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigit);

    /// <summary>The torrent with this info hash (any case), or null.</summary>
    public ManagedTorrent? Find(string infoHash)
    {
        lock (_lock) return _torrents.GetValueOrDefault(infoHash.ToLowerInvariant());
    }

    /// <summary>Adds a torrent from its .torrent bytes, keeps a copy, and starts it when asked.</summary>
    /// <exception cref="Bencode.BencodeException">Not bencode (the message has the byte offset).</exception>
    /// <exception cref="MetainfoException">Not a valid torrent (the message has the key path).</exception>
    /// <exception cref="WebApiException">409: already added, or another torrent has the same name.</exception>
    /// <exception cref="StorageException">409 (a conflict): with <paramref name="start"/>, a file not this torrent's data is in the way.</exception>
    public Task<ManagedTorrent> AddAsync(byte[] bytes, bool start, CancellationToken ct = default) => AddAsync(bytes, start, [], null, ct);

    /// <summary>Adds a torrent as <see cref="AddAsync(byte[], bool, CancellationToken)"/> does, with peers to try on every
    /// run, into a save folder (<see cref="SaveFolderOf"/>: inside the downloads folder; null for the downloads folder).
    /// With <paramref name="skipChecking"/>, data already there at full size is taken as complete without hashing
    /// (qBittorrent's <c>skip_checking</c>; see <see cref="TorrentClient.PrepareFilesAsync(Torrent, string, bool, CancellationToken)"/>).</summary>
    /// <exception cref="WebApiException">Also 400: a save folder outside the downloads folder.</exception>
    public async Task<ManagedTorrent> AddAsync(byte[] bytes, bool start, IReadOnlyList<System.Net.IPEndPoint> linkPeers, string? folder,
        CancellationToken ct = default, bool skipChecking = false)
    {
        var prepared = await PrepareAddAsync(Torrent.Parse(bytes), bytes, start, folder, skipChecking, ct).ConfigureAwait(false);
        return CommitAdd(prepared, start, linkPeers);
    }

    /// <summary>Fetches a magnet link's metadata as one of the session's torrents: its peer id and port to the trackers, its DHT node.</summary>
    public async Task<MagnetTorrent> FetchMagnetAsync(string link, CancellationToken ct)
    {
        var magnet = await Session.FetchMagnetAsync(link, OptionsFor(), ct).ConfigureAwait(false);
        Hooks.NoteMetadata(magnet.Torrent.InfoHash.Hex); // its add is told as added, then metadata
        return magnet;
    }

    /// <summary>The first half of an add: checks the torrent and, when it is to start or skip checking, its files, with
    /// its place in the save folder reserved meanwhile (an add of the same data elsewhere is refused). Several may run at
    /// once; each must end in <see cref="CommitAdd"/> or <see cref="Abandon"/>.</summary>
    /// <exception cref="WebApiException">As <see cref="AddAsync(byte[], bool, IReadOnlyList{System.Net.IPEndPoint}, string?, CancellationToken, bool)"/>.</exception>
    public async Task<PreparedAdd> PrepareAddAsync(Torrent torrent, byte[] bytes, bool start, string? folder, bool skipChecking,
        CancellationToken ct = default)
    {
        var saveFolder = ReservePlace(torrent, folder);
        return await CheckReservedAsync(torrent, bytes, saveFolder, start, skipChecking, ct).ConfigureAwait(false);
    }

    /// <summary>The first step of <see cref="PrepareAddAsync"/>, at once: refuses a torrent already added, or whose
    /// place is taken or leads out of the downloads folder, and reserves its place. Reservations made one after another
    /// decide which of two torrents for one place wins (the first), however their checks then run.</summary>
    /// <returns>The save folder (as <see cref="SaveFolderOf"/> gives it), to pass to <see cref="CheckReservedAsync"/>.</returns>
    /// <exception cref="WebApiException">As <see cref="AddAsync(byte[], bool, IReadOnlyList{System.Net.IPEndPoint}, string?, CancellationToken, bool)"/>.</exception>
    public string ReservePlace(Torrent torrent, string? folder)
    {
        var saveFolder = SaveFolderOf(folder);
        DataPlaces.CheckPaths(torrent, FolderPath(saveFolder));
        lock (_lock)
        {
            CheckNotAddedLocked(torrent, saveFolder); // before the files are looked at: a running torrent's ledger is its own
            _places.Take(torrent, saveFolder, torrent.InfoHash.Hex);
        }
        return saveFolder;
    }

    /// <summary>The second step of <see cref="PrepareAddAsync"/>, for a place <see cref="ReservePlace"/> reserved: checks
    /// the files when the torrent is to start or skip checking. A failure gives the place back.</summary>
    public async Task<PreparedAdd> CheckReservedAsync(Torrent torrent, byte[] bytes, string saveFolder, bool start, bool skipChecking,
        CancellationToken ct = default)
    {
        try
        {
            // Skipped checking records the data at once, also for a torrent added paused (it is listed complete).
            (PieceStates, IReadOnlyList<Pieces.FilePriority>?)? known = start || skipChecking
                ? await CheckFilesAsync(torrent, FolderPath(saveFolder), skipChecking, ct).ConfigureAwait(false) : null;
            return new PreparedAdd(torrent, bytes, saveFolder, known);
        }
        catch
        {
            lock (_lock) _places.Leave(torrent, saveFolder);
            throw;
        }
    }

    /// <summary>The second half of an add: tracks the torrent, keeps a copy of its .torrent, and starts it when asked.</summary>
    /// <exception cref="WebApiException">409: the same torrent was added to another folder meanwhile.</exception>
    public ManagedTorrent CommitAdd(PreparedAdd prepared, bool start, IReadOnlyList<System.Net.IPEndPoint> linkPeers)
    {
        var (torrent, saveFolder) = (prepared.Torrent, prepared.SaveFolder);
        ManagedTorrent managed;
        lock (_lock)
        {
            if (_torrents.ContainsKey(torrent.InfoHash.Hex))
            {
                _places.Leave(torrent, saveFolder);
                throw new WebApiException(409, $"torrent '{torrent.Name}' ({torrent.InfoHash.Hex}) is already added");
            }
            // Everything that can refuse the torrent runs before its copy is written, so a refusal leaves no file behind.
            managed = Track(torrent, saveFolder, DateTimeOffset.UtcNow, linkPeers, prepared.Known);
            _store.SaveTorrent(managed.InfoHash, prepared.Bytes);
            _torrents[managed.InfoHash] = managed;
            _places.Take(torrent, saveFolder, managed.InfoHash); // the torrent's own text from now on
            Interlocked.Increment(ref _listVersion);
            Queue.ChangedLocked();
        }
        if (start) Queue.Enqueue(managed);
        Save();
        Queue.Pump();
        Hooks.Added(managed);
        return managed;
    }

    /// <summary>Gives up a prepared add that will not be committed: its place is free again.</summary>
    public void Abandon(PreparedAdd prepared)
    {
        lock (_lock) _places.Leave(prepared.Torrent, prepared.SaveFolder);
    }

    /// <exception cref="WebApiException">409: the torrent is added already, or another's data is where its would go.</exception>
    private void CheckNotAddedLocked(Torrent torrent, string folder)
    {
        if (_torrents.ContainsKey(torrent.InfoHash.Hex))
            throw new WebApiException(409, $"torrent '{torrent.Name}' ({torrent.InfoHash.Hex}) is already added");
        _places.CheckFree(torrent, folder);
    }

    /// <exception cref="StorageException">409 (a conflict): a file not this torrent's data is in the way.</exception>
    public async Task StartAsync(ManagedTorrent torrent, CancellationToken ct = default)
    {
        if (torrent.State is TorrentState.Paused or TorrentState.Failed) await CheckFilesAsync(torrent.Torrent, FolderOf(torrent), skipChecking: false, ct).ConfigureAwait(false);
        Queue.Enqueue(torrent);
        Save();
        Queue.Pump();
    }

    /// <summary>Refuses, before anything starts, a download that would resize or write a file it did not create (the
    /// engine checks again when it opens its files); the pieces of files already there are checked once, here, and
    /// recorded, so the torrent starts from them without hashing them again.</summary>
    private static Task<(PieceStates Pieces, IReadOnlyList<Pieces.FilePriority>? Priorities)> CheckFilesAsync(Torrent torrent, string folder,
        bool skipChecking, CancellationToken ct) =>
        TorrentClient.PrepareFilesAsync(torrent, folder, skipChecking, ct);

    public async Task PauseAsync(ManagedTorrent torrent)
    {
        await torrent.PauseAsync().ConfigureAwait(false);
        Save();
        Queue.Pump();
    }

    /// <summary>Stops and forgets a torrent; with <paramref name="deleteData"/>, also deletes its files and ledger.</summary>
    /// <exception cref="WebApiException">409: its data is being moved.</exception>
    public async Task RemoveAsync(ManagedTorrent torrent, bool deleteData)
    {
        if (torrent.State == TorrentState.Moving) throw new WebApiException(409, $"'{torrent.Torrent.Name}' is being moved: remove it once the move is done");
        await torrent.PauseAsync().ConfigureAwait(false);
        lock (_lock)
        {
            if (_torrents.GetValueOrDefault(torrent.InfoHash) != torrent) return;
        }
        await Session.RemoveAsync(torrent.Handle).ConfigureAwait(false); // out of the session first: it may be added again at once
        lock (_lock)
        {
            if (!_torrents.Remove(torrent.InfoHash)) return;
            _places.Leave(torrent.Torrent, torrent.SaveFolder);
            Interlocked.Increment(ref _listVersion);
            Queue.ChangedLocked();
        }
        Save();
        Queue.Pump();
        _store.DeleteTorrent(torrent.InfoHash);
        if (deleteData) TorrentClient.DeleteData(torrent.Torrent, FolderOf(torrent));
    }

    /// <summary>Adds a torrent to the session, paused, as its handle holds it: the server's options with its own
    /// (folder, peers, trackers, selection, order, peer cap, limits), and its known pieces, read once.</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="folder">Its save folder, relative to the downloads folder.</param>
    /// <param name="addedAt">When the user added it.</param>
    /// <param name="linkPeers">Peers its magnet link named, or the user gave.</param>
    /// <param name="ledger">What the caller read from its resume ledger just now; null: read here.</param>
    /// <param name="saved">Its entry of the saved list, at a start; null for a new torrent.</param>
    private ManagedTorrent Track(Torrent torrent, string folder, DateTimeOffset addedAt, IReadOnlyList<System.Net.IPEndPoint> linkPeers,
        (PieceStates Pieces, IReadOnlyList<Pieces.FilePriority>? Priorities)? ledger, TorrentEntry? saved = null)
    {
        // What is verified already: the ledger when it can be trusted (a stale one is re-checked by the engine on start),
        // as the caller just read it or read now. The selection: the saved list's, else the ledger's (a download started
        // elsewhere keeps its selection).
        var (pieces, recorded) = ledger ?? TorrentClient.ReadLedger(torrent, FolderPath(folder));
        var priorities = ManagedTorrent.ParseSaved(saved?.Priorities, torrent.Files.Count) ?? recorded;
        var trackers = saved?.Trackers is { } tiers ? TorrentAdjustments.CleanTrackers(tiers) : null;
        var ownPeers = saved?.MaxPeers is >= 1 and <= TorrentAdjustments.MaxPeerLimit ? saved.MaxPeers : null;
        var server = ServerOptions();
        var options = server with
        {
            OutputDirectory = FolderPath(folder), Trackers = trackers,
            ExtraPeers = linkPeers.Count == 0 ? [] : linkPeers, // the server's own (ConfigureDownload's) join before the first start
            FilePriorities = priorities,
            Sequential = saved?.Sequential == true,
            SuperSeed = saved?.SuperSeed == true,
            // A limit of its own runs the swarm engine whatever the number (1 alone would pick the single-peer story).
            MaxPeers = ownPeers ?? server.MaxPeers,
            Engine = ownPeers is not null && server.Engine == DownloadEngine.Auto ? DownloadEngine.Swarm : server.Engine,
            DownloadLimit = new RateLimit(Math.Max(0, saved?.DownloadLimit ?? 0)),
            UploadLimit = new RateLimit(Math.Max(0, saved?.UploadLimit ?? 0)),
        };
        return new ManagedTorrent(torrent, addedAt, managed => Session.Add(torrent, options with { Logger = managed, Trace = managed.OnTrace }, start: false, pieces))
        {
            Uploaded = saved?.Uploaded ?? 0, MaxPeers = ownPeers,
            SaveFolder = folder,
            SeedsWhenComplete = _seedsWhenComplete,
            QueuePositionOf = _queuePositionOf,
            SpaceWaitOf = _spaceWaitOf,
        };
    }

    /// <summary>The server's options for every torrent, made once: each torrent's handle starts from them (thousands of
    /// torrents share one set of session settings; a torrent joins the server's session, whose own settings rule).
    /// <see cref="WebServerOptions.ConfigureDownload"/> is not applied here but to each torrent's handle before its
    /// first start (<see cref="ManagedTorrent.Start"/>), and to <see cref="OptionsFor"/>.</summary>
    private DownloadOptions ServerOptions()
    {
        if (Volatile.Read(ref _serverOptions) is { } made) return made;
        var options = new DownloadOptions
        {
            OutputDirectory = Downloads, MaxPeers = _options.MaxPeers, // the session's own settings rule its port and dialling
            // No StallTimeout: a download waits for peers as long as it runs; the page shows why (progress.Status).
        };
        Volatile.Write(ref _serverOptions, options);
        return options;
    }

    private DownloadOptions? _serverOptions;

    /// <summary>The server's options as <see cref="WebServerOptions.ConfigureDownload"/> adjusts them (the engine they
    /// pick, a magnet link's peer finding), made once.</summary>
    private DownloadOptions OptionsFor()
    {
        if (Volatile.Read(ref _baseOptions) is { } made) return made;
        var options = _options.ConfigureDownload?.Invoke(ServerOptions()) ?? ServerOptions();
        Volatile.Write(ref _baseOptions, options);
        return options;
    }

    private DownloadOptions? _baseOptions;

    /// <summary>A change to save: the list is written in the background, <see cref="SaveDelay"/> after the change and
    /// one write at a time, so adding ten thousand torrents writes it a few dozen times, not ten thousand. What a crash
    /// in between could lose is safe elsewhere: each torrent's .torrent copy is written before its add returns (a copy
    /// missing from the list comes back, paused, at the next start) and its pieces are in its resume ledger.</summary>
    private void Save()
    {
        Interlocked.Increment(ref _changes); // what the remote APIs keep of each torrent may be stale now
        lock (_saveLock)
        {
            if (_savePending) return; // the write already waiting will see this change too
            _savePending = true;
            _saving = WriteSoonAsync(_saving);
        }
    }

    private static readonly TimeSpan SaveDelay = TimeSpan.FromMilliseconds(500);
    private readonly Lock _saveLock = new();
    private Task _saving = Task.CompletedTask;
    private bool _savePending;

    private async Task WriteSoonAsync(Task previous)
    {
        await previous.ConfigureAwait(false);
        await Task.Delay(SaveDelay).ConfigureAwait(false);
        lock (_saveLock) _savePending = false; // changes from now on need another write
        WriteList();
    }

    /// <summary>Writes the list now (the last write at shutdown, and each background one); a failure is logged, and the
    /// next change tries again.</summary>
    private void WriteList()
    {
        try
        {
            _store.Save([.. All.Select(t => new TorrentEntry(t.InfoHash, t.Torrent.Name, t.AddedAt, t.WantsRunning, ManagedTorrent.Format(t.Priorities))
            {
                Seeding = t.Seeding == new SeedPolicy() ? null : t.Seeding,
                Peers = t.LinkPeers.Count == 0 ? null : [.. t.LinkPeers.Select(p => p.ToString())],
                Uploaded = t.Uploaded,
                Category = t.Category,
                DownloadLimit = t.DownloadLimit.BytesPerSecond == 0 ? null : t.DownloadLimit.BytesPerSecond,
                UploadLimit = t.UploadLimit.BytesPerSecond == 0 ? null : t.UploadLimit.BytesPerSecond,
                Folder = t.SaveFolder.Length == 0 ? null : t.SaveFolder,
                Trackers = t.EditedTrackers,
                Sequential = t.Sequential ? true : null,
                SuperSeed = t.SuperSeed ? true : null,
                MaxPeers = t.MaxPeers,
                Remote = t.RemoteToSave(),
            })], Settings with { PeerPort = _configuredPeerPort }, Labels.Categories, Limits.ToSave, Limits.AltSpeedToSave, Labels.TagsToSave,
                Labels.LimitsToSave);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _options.Log?.Invoke($"warning: could not save the torrent list ({e.Message}); it is written again at the next change");
        }
    }

    /// <summary>Pauses every running torrent (each saves its ledger) but keeps them marked as running, so they resume
    /// when the server starts again.</summary>
    public async ValueTask DisposeAsync()
    {
        Queue.Close(); // nothing new starts while the server stops
        StopDiskGuard();
        await Watch.StopAsync().ConfigureAwait(false);
        await StopRssAsync().ConfigureAwait(false);
        await Limits.DisposeAsync().ConfigureAwait(false);
        // A run that completed on its own no longer wants to run, before the session's stop pauses every torrent.
        foreach (var torrent in All) torrent.Settle();
        if (Session is not null)
        {
            await Session.DisposeAsync().ConfigureAwait(false); // every run stopped, each ledger saved; then the port
            await _following.ConfigureAwait(false); // its alerts read to the end: no save is asked for after this
        }
        await Hooks.DisposeAsync().ConfigureAwait(false); // hooks still waiting are dropped, running ones stopped
        Task saving;
        lock (_saveLock) saving = _saving;
        await saving.ConfigureAwait(false);
        WriteList(); // with every torrent's last state
    }
}
