using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>The swarm engine for one torrent: many peers at once, downloading what we lack and serving what we have.
/// <see cref="SwarmDownload"/> runs one for a download (resume, storage, the ledger saves, seeding after); a
/// <see cref="SeedingTorrent"/> holds one only while peers are connected to it (what a session's seeding
/// torrents run).</summary>
/// <remarks>
/// <para>What runs: incoming peers routed here by the <see cref="Session"/>, an <see cref="Announcer"/> and the session's
/// DHT lookups (<c>TorrentSwarm.Dht.cs</c>) feeding the <see cref="PeerBook"/>, a <see cref="Dialler"/> with bounded concurrent connects, one <see cref="SwarmPeer"/> per connection, and a timer
/// (<see cref="SwarmTimer"/>) for request timeouts, snubbing, choking (<see cref="Choking"/>), progress and the
/// stall limit. Pieces are picked, pipelined and verified by the <see cref="PieceManager"/>; verified pieces are
/// written by the peer task that completed them, and only then announced with <c>have</c>, served, and listed in the
/// resume ledger (<see cref="WrittenSnapshot"/>).</para>
/// <para>Each policy is a part that owns its state, made here once and called at the moments it cares about
/// (docs/ARCHITECTURE.md, "The swarm's parts"): <see cref="SuperSeeding"/>, <see cref="FirstCopyPacing"/>,
/// <see cref="Choking"/> and its <see cref="UploadSlots"/>, <see cref="PeerExchange"/>, <see cref="Holepunching"/>,
/// <see cref="WebSeeding"/>, <see cref="Dialler"/>, <see cref="PeerAdmission"/> and its <see cref="PeerRules"/>, <see cref="PieceHandOver"/>,
/// <see cref="PieceBlame"/>, <see cref="StallWatch"/>, <see cref="Announcing"/>, <see cref="WantedPieces"/>, <see cref="SwarmProgress"/> and
/// <see cref="SwarmTimer"/>.</para>
/// </remarks>
internal sealed partial class TorrentSwarm : ISwarmHost, ISessionTorrent, IAsyncDisposable
{
    private readonly DownloadOptions _options;
    private readonly Action<string>? _log;
    private readonly PeerBook _book;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly WantedPieces _wanted;
    private readonly int _startPieces;
    private TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously); // new when it downloads more
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Session _session;
    private readonly Announcing _announcing;
    private readonly ReadDemand _reads; // what the torrent's open streams wait for (Client/TorrentFileStream.cs)
    private SeedingTorrent? _owner; // set when a seeding torrent runs this swarm: it is attached and announces instead
    private bool _attached, _disposed;
    private readonly SuperSeeding _superSeed;
    private readonly FirstCopyPacing _firstCopy;
    private readonly Holepunching _holepunch;
    private readonly PeerExchange _pex;
    private readonly Choking _choking;
    private readonly StallWatch _stall;
    private readonly SwarmTimer _timer;
    private readonly PieceHandOver _handOver;
    private readonly PieceBlame _blame;
    private readonly PeerAdmission _admission;
    private readonly WebSeeding _webSeeds = new();
    private readonly Dialler _dialler;
    private readonly SwarmParts _parts; // what each peer is handed of the swarm when it is made

    /// <param name="session">The session whose port, peer id, DHT node and budgets the swarm uses.</param>
    /// <param name="torrent">The torrent.</param>
    /// <param name="options">The torrent's trackers, peers, limits, log (its session settings are not read).</param>
    /// <param name="storage">Where pieces are written and read; owned by the caller.</param>
    /// <param name="have">Pieces already verified on disk.</param>
    /// <param name="downloading">False for a pure seeder: never interested, never requests.</param>
    /// <param name="selection">The pieces wanted (from the files' priorities); null: every piece.</param>
    /// <param name="owner">The seeding torrent this swarm runs for while it has peers: it is what the session routes
    /// to, and it announces; null: the swarm attaches itself and announces on its own.</param>
    public TorrentSwarm(Session session, Torrent torrent, DownloadOptions options, IPieceStorage storage, Bitfield have, bool downloading,
        PieceSelection? selection = null, SeedingTorrent? owner = null)
    {
        _session = session;
        _owner = owner;
        Progress = new SwarmProgress(this);
        selection ??= PieceSelection.All(torrent);
        _wanted = new WantedPieces(torrent, have, selection);
        Torrent = torrent;
        _options = options;
        _log = options.Log;
        DownloadLimit = Session.LimitUnder(options.DownloadLimit, session.DownloadLimit);
        UploadLimit = Session.LimitUnder(options.UploadLimit, session.UploadLimit);
        _book = new PeerBook(session.Settings.PeerScope, session.Settings.Blocklist)
        {
            OnRefused = options.Events is not { } events ? null : (peer, blocked) => events.PeerTried(peer,
                blocked ? FindingKind.Blocklisted : FindingKind.AddressRefused,
                blocked ? "in the blocklist: never dialled" : "an address the dial policy refuses (unspecified, broadcast, or outside the peer scope)"),
        };
        Storage = storage;
        Downloading = downloading && !selection.IsDoneIn(have);
        _startPieces = have.Count;
        Pieces = new PieceManager(torrent, have, new PieceManagerOptions
        {
            MaxRequestsPerPeer = Math.Min(options.RequestsPerPeer ?? SwarmPeer.MaxPipeline, SwarmPeer.MaxPipeline),
            RequestTimeout = options.RequestTimeout,
            Selection = selection,
            Picker = options.Sequential ? new SequentialPicker() : null, // --sequential: in order, for streaming
            Demand = _reads = session.Reads.Take(torrent.InfoHash), // open streams' windows first
            Clock = Time,
        });
        _reads.Attach(CanServe);
        _superSeed = new SuperSeeding(this, options.SuperSeed);
        _holepunch = new Holepunching(this);
        _pex = new PeerExchange(this, _holepunch);
        _dialler = new Dialler(this);
        _firstCopy = new FirstCopyPacing(this, torrent, have, downloading, options.SuperSeed);
        _choking = new Choking(this, options, Progress.Up, _superSeed, _firstCopy);
        _stall = new StallWatch(this);
        _handOver = new PieceHandOver(this);
        _blame = new PieceBlame(this);
        _admission = new PeerAdmission(this, options, new PeerRules(session.Settings.ClientBans, torrent));
        _announcing = new Announcing(this);
        // Idle, a seeding torrent may let the swarm go after a while.
        _timer = new SwarmTimer(this, _pex, _firstCopy, _choking, _stall, idle: () => Volatile.Read(ref _owner)?.OnSwarmIdle(this));
        ConnectionOptions = SwarmConnections.Options(session, torrent, options);
        _parts = new SwarmParts
        {
            Torrent = torrent, Time = Time, Pieces = Pieces, Storage = storage, Progress = Progress,
            DownloadLimit = DownloadLimit, UploadLimit = UploadLimit,
            SuperSeed = _superSeed, FirstCopy = _firstCopy, PeerExchange = _pex, Holepunching = _holepunch, Rules = _admission.Rules,
        };
        if (_wanted.DoneAtStart) _complete.TrySetResult();
    }

    public Torrent Torrent { get; }

    /// <summary>The session's clock, which every time read, delay and timer of the swarm goes through (a test moves a
    /// manual one).</summary>
    public TimeProvider Time => _session.Settings.Time;

    /// <summary>The info hashes an incoming handshake may name: a hybrid's peers use its v1 hash or the truncated v2
    /// one (BEP 52), every other torrent has one.</summary>
    public IReadOnlyCollection<InfoHash> IncomingHashes => SwarmConnections.IncomingHashes(Torrent);

    public PieceManager Pieces { get; }
    public IPieceStorage Storage { get; }
    public PeerConnectionOptions ConnectionOptions { get; }

    /// <summary>We still want pieces (false for a pure seeder, and once everything is written).</summary>
    public bool Downloading { get; private set; }

    /// <summary>The torrent's own limits under the session's global ones (<see cref="Session.LimitUnder"/>).</summary>
    public RateLimit? DownloadLimit { get; }
    public RateLimit? UploadLimit { get; }

    /// <summary>The port peers reach us on, which this torrent announces and tells in the extension handshake: the
    /// session's peer port, or the external port a router mapped for it (<see cref="Session.AnnouncedPort"/>).</summary>
    public int Port => _session.AnnouncedPort;

    /// <summary>The session this swarm runs in (its port, sockets, settings and shared budgets).</summary>
    internal Session Session => _session;

    /// <summary>The torrent's options (its limits, timeouts, log).</summary>
    internal DownloadOptions Options => _options;

    /// <summary>The trackers: the announcer the swarm owns, or the seeding torrent's it uses.</summary>
    internal Announcing Announcing => _announcing;

    /// <summary>The web seeds in use.</summary>
    internal WebSeeding WebSeeding => _webSeeds;

    /// <summary>The addresses this swarm knows, dials and bans.</summary>
    internal PeerBook Book => _book;

    /// <summary>Our peer id (the session's).</summary>
    private Wire.PeerId PeerId => _session.PeerId;

    /// <summary>True from <see cref="Start"/> until disposal, while no seeding torrent runs it: the session routes
    /// incoming peers and DHT work here.</summary>
    public bool IsAttached => Volatile.Read(ref _attached) && Volatile.Read(ref _owner) is null;

    /// <inheritdoc />
    public bool WantsPeersSoon => Downloading && ConnectedCount == 0;

    /// <summary>Completes when every wanted piece is written.</summary>
    public Task Completion => _complete.Task;

    /// <summary>Faults with <see cref="DownloadFailedException"/> when the download stalls for good.</summary>
    public Task Failure => _failed.Task;

    /// <summary>Payload bytes received (all blocks, wasted ones included) and sent.</summary>
    public long Received => Progress.Received;
    public long Uploaded => Progress.Uploaded;

    /// <summary>How many peer addresses each discovery source gave so far.</summary>
    public PeerSources PeerSources => _book.Sources;

    /// <summary>The wanted bytes and skipped files when files are skipped, else null (for the result).</summary>
    public (long Bytes, int SkippedFiles)? Selected => _wanted.Selection.Skipping(Torrent);

    /// <summary>Pieces that were already on disk when the session started.</summary>
    public int StartPieces => _startPieces;

    public TimeSpan Elapsed => Progress.Elapsed;

    /// <summary>The payload moved, the peers delivering blocks, and the progress report.</summary>
    public SwarmProgress Progress { get; }

    /// <summary>What the download wants and what of it is written.</summary>
    internal WantedPieces Wanted => _wanted;

    /// <summary>The stall limit and the "waiting for peers" status.</summary>
    internal StallWatch Stall => _stall;

    /// <summary>Joins the session (incoming peers naming this torrent are routed here, the DHT looks it up) and starts
    /// announcing, dialling and the timer.</summary>
    /// <exception cref="SwarmException">The session runs this torrent already.</exception>
    public void Start()
    {
        _book.AddSelves(_session.EndPoints, _session.Port);
        _book.Add(_options.ExtraPeers);
        var ct = _stop.Token;
        Volatile.Write(ref _attached, true); // before the session may look at it (its DHT schedule skips detached swarms)
        if (_owner is not null) _announcing.Borrow(_owner.Announcer); // the seeding torrent is what the session routes to
        else
        {
            _announcing.Make(Totals);
            try
            {
                _session.Attach(this);
            }
            catch
            {
                Volatile.Write(ref _attached, false);
                throw;
            }
            _announcing.Start();
        }
        _tasks.Add(_timer.RunAsync(ct));
        _tasks.Add(_dialler.RunAsync(ct));
        if (Downloading) _tasks.AddRange(_webSeeds.Start(this, _session, _options, ct));
    }

    /// <summary>One line to the torrent's log (protocol events, --verbose).</summary>
    public void Log(string line) => _log?.Invoke(line);

    /// <inheritdoc />
    public void OnAnnouncedPortChanged() => _announcing.PortChanged();

    /// <inheritdoc />
    public void OnNetworkResumed() { _announcing.TryReannounce(); _book.RetryAllNow(Time.GetUtcNow()); _dialler.Wake(); }

    /// <summary>Addresses to dial (from a tracker, the DHT, a seeding torrent waking this swarm); returns how many were new.</summary>
    internal int AddPeers(IEnumerable<IPEndPoint> peers, PeerSource source)
    {
        var added = _book.Add(peers, source);
        if (added > 0) _dialler.Wake();
        return added;
    }

    /// <summary>Dials <paramref name="peer"/> beside the peers it has (a peer given by the user); false once stopped.</summary>
    internal bool TryAddPeer(IPEndPoint peer)
    {
        if (_stop.IsCancellationRequested) return false;
        AddPeers([peer], PeerSource.Given);
        return true;
    }

    /// <summary>A finished download goes on as <paramref name="owner"/>'s swarm: the seeding torrent is routed to from
    /// now on and takes over the announcer (which it returns to), so it can let this swarm go when no peer is left.</summary>
    internal Announcer? HandOverTo(SeedingTorrent owner)
    {
        Volatile.Write(ref _owner, owner);
        return _announcing.HandOver();
    }

    /// <summary>What the trackers hear: our totals, and what is left (<see cref="WantedPieces.Left"/>).</summary>
    private AnnounceTotals Totals()
    {
        var (left, partialSeed) = _wanted.Left(Downloading);
        return new(Uploaded, Received, left, partialSeed);
    }

    /// <summary>True when every piece is written (a full seed, not a partial one).</summary>
    internal bool HasEveryPiece => _wanted.HasEveryPiece;

    /// <summary>Cancelled when the swarm stops: what a part started (a timer) ends with it.</summary>
    internal CancellationToken Stopping => _stop.Token;

    /// <summary>ut_holepunch (BEP 55): the dialler asks for a rendezvous when a dial fails.</summary>
    internal Holepunching Holepunching => _holepunch;

    /// <summary>A lone seed's first copy (<see cref="FirstCopyPacing.Rule"/>), while the swarm seeds every piece from
    /// the start; null otherwise.</summary>
    internal FirstCopy? FirstCopy => _firstCopy.Rule;

    /// <summary>The seeds the tracker counts last (the announcer's, or the seeding torrent's that owns it).</summary>
    internal int? TrackerSeeders => (_announcing.InUse ?? _owner?.Announcer)?.Seeders;

    /// <summary>Turns super-seeding on or off (<see cref="SuperSeeding.Set"/>); false once stopped.</summary>
    internal bool TrySetSuperSeed(bool on)
    {
        if (_stop.IsCancellationRequested) return false;
        _superSeed.Set(on, PeersSnapshot());
        return true;
    }

    /// <summary>True when piece <paramref name="index"/> is written and may be served.</summary>
    public bool CanServe(int index) => _wanted.CanServe(index);

    /// <summary>The pieces on disk: what the resume ledger may list.</summary>
    public Bitfield WrittenSnapshot() => _wanted.Snapshot();

    public void OnPeerEvent(SwarmPeer peer, PeerEvent change)
    {
        switch (change)
        {
            case PeerEvent.InterestChanged: _choking.InterestChanged(); break;
            case PeerEvent.BecameSeed: OnPeerIsSeed(peer); break;
            case PeerEvent.UploadOnly: OnPeerUploadOnly(peer); break;
            case PeerEvent.ListenAddressKnown: _pex.PeerKnown(peer); break;
        }
    }

    /// <summary>Stops everything: peers, dialer, timer, listener; then announces <c>stopped</c> (short timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _reads.Detach(CanServe); // written pieces from here on are on disk, in the ledger the run saves last
        _session.Reads.Release(Torrent.InfoHash, _reads);
        var owned = Volatile.Read(ref _owner) is not null;
        Volatile.Write(ref _attached, false);
        if (!owned) _session.Detach(this); // no incoming peer or DHT lookup reaches it from now on
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var peer in PeersSnapshot()) peer.Connection.Dispose();
        Task[] all;
        lock (_tasksLock) all = [.. _tasks, .. _peerTasks];
        // Bounded: peer tasks end as soon as their sockets close; a stuck disk write is the only thing that could linger.
        // Real seconds, not the swarm's clock: how long an exit may take is the user's wait, and no clock moves then.
        var deadline = Task.Delay(TimeSpan.FromSeconds(10));
        await Task.WhenAny(Task.WhenAll(all), deadline).ConfigureAwait(false);
        await _handOver.DrainAsync(deadline).ConfigureAwait(false); // pieces handed over by the peers, before the storage closes
        _webSeeds.Dispose();
        await _announcing.StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
