using Microsoft.Extensions.Logging;
using TorrentLab.Downloads;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Reference;
using TorrentLab.Storage;
using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>A convenience beside <see cref="TorrentSession"/>, for work that holds no torrent: open a .torrent or magnet
/// link (or fetch a .torrent over http) and download it in a session of its own, download into place, one piece or a
/// handshake (the classroom commands); a torrent's data that no session runs (verify, prepare, read its ledger, rename,
/// move, delete); a blocklist loaded; and the checks an application makes before it calls (a tracker URL, a peer
/// address, a folder below another).</summary>
/// <remarks>
/// <para>What lives where. A program that holds torrents adds them to a <see cref="TorrentSession"/> and changes each
/// through its <see cref="TorrentHandle"/> (pause, move its data, recheck, rename, remove with its data): those are the
/// same operations as here, on the same parts, for a torrent that runs. The web server's own policies (where its save
/// folders may be, its API's names, its blocklist's bound) are in <c>TorrentLab.Web</c>; the lab and the tracker server
/// use the engine's internals. The session's handles start their runs through this class's internal members (preparing
/// a download, starting its run).</para>
/// <para>
/// One download is: open the source (a .torrent file, or a magnet link whose metadata comes from peers first) ->
/// <see cref="DownloadStart"/> (one storage layout, one resume decision) -> one engine, chosen by
/// <see cref="DownloadOptions.Engine"/> -> progress reports -> a <see cref="DownloadResult"/>. Everything a caller can
/// set (limits, peers, trackers, timeouts, tracing) is in <see cref="DownloadOptions"/>.</para>
/// </remarks>
public static partial class TorrentClient
{
    /// <summary>Opens what the user named: a magnet link (its metadata fetched from peers and verified, BEP 9) or a
    /// .torrent file. A magnet link's own peers (<c>x.pe</c>) come back with it, to try first. Peers are found with the
    /// default settings (DHT on, public bootstrap routers); the overload taking <see cref="DownloadOptions"/> chooses.</summary>
    /// <param name="source">A path to a .torrent file, or a <c>magnet:</c> link.</param>
    /// <param name="saveTorrentTo">For a magnet link: also write the .torrent built from the metadata here.</param>
    /// <param name="logger">Where the metadata fetch logs, one line per event; null for nowhere.</param>
    /// <param name="ct">Cancels the fetch.</param>
    public static Task<OpenedTorrent> OpenAsync(string source, string? saveTorrentTo = null, ILogger? logger = null,
        CancellationToken ct = default) => OpenAsync(source, PeerFinding(logger), saveTorrentTo, ct);

    /// <summary>Opens a .torrent file or a magnet link, finding a magnet link's peers as <paramref name="options"/> say:
    /// its <c>x.pe</c> peers, its trackers, then the DHT (as <see cref="DownloadOptions.Session"/> says:
    /// <see cref="SessionSettings.Dht"/>, <see cref="SessionSettings.DhtBootstrap"/>, <see cref="SessionSettings.DhtStatePath"/>;
    /// logged to <see cref="DownloadOptions.Log"/>).</summary>
    /// <param name="source">A path to a .torrent file, or a <c>magnet:</c> link.</param>
    /// <param name="options">The peer-finding settings (the output folder is not used).</param>
    /// <param name="saveTorrentTo">For a magnet link: also write the .torrent built from the metadata here.</param>
    /// <param name="ct">Cancels the fetch.</param>
    public static Task<OpenedTorrent> OpenAsync(string source, DownloadOptions options, string? saveTorrentTo = null,
        CancellationToken ct = default) => OpenAsync(null, source, options, saveTorrentTo, ct);

    /// <summary>Opens a .torrent file or a magnet link for <paramref name="session"/>: a magnet link's trackers hear the
    /// session's peer id and port, and its DHT lookups run on the session's node. With a null session, as the
    /// overload without one.</summary>
    /// <param name="session">The session the torrent will join, or null.</param>
    /// <param name="source">A path to a .torrent file, or a <c>magnet:</c> link.</param>
    /// <param name="options">The peer-finding settings (the output folder is not used).</param>
    /// <param name="saveTorrentTo">For a magnet link: also write the .torrent built from the metadata here.</param>
    /// <param name="ct">Cancels the fetch.</param>
    internal static async Task<OpenedTorrent> OpenAsync(Session? session, string source, DownloadOptions options, string? saveTorrentTo = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsMagnet(source)) return new OpenedTorrent(Torrent.Load(source), []);
        var magnet = await FetchMagnetAsync(session, source, options, ct).ConfigureAwait(false);
        if (saveTorrentTo is not null) await AtomicFile.WriteAsync(Path.GetFullPath(saveTorrentTo), magnet.File, ct).ConfigureAwait(false);
        return new OpenedTorrent(magnet.Torrent, magnet.Peers, magnet.Selection);
    }

    /// <summary>Where a download into <paramref name="outputDirectory"/> saves the DHT routing table (beside its resume
    /// ledgers); a magnet link opened for that download reads and updates the same file.</summary>
    public static string DhtStatePathIn(string outputDirectory) => Session.DhtStatePathIn(outputDirectory);

    /// <summary>Default download options for finding a magnet link's peers (only the peer-finding settings are read).</summary>
    internal static DownloadOptions PeerFinding(ILogger? logger) => new() { OutputDirectory = ".", Logger = logger };

    /// <summary>True when <paramref name="source"/> is a magnet link rather than a path.</summary>
    public static bool IsMagnet(string source) => source.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Downloads <paramref name="torrent"/> into <see cref="DownloadOptions.OutputDirectory"/>: the resume
    /// decision once, then the engine <see cref="DownloadOptions.Engine"/> names.</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the missing pieces.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the resume ledger was saved first.</exception>
    /// <remarks>The download makes a session of its own from <see cref="DownloadOptions.Session"/> (its port, peer id
    /// and DHT node) and stops it at the end; to run it beside other torrents, add it to a <see cref="TorrentSession"/>.</remarks>
    public static Task<DownloadResult> DownloadAsync(Torrent torrent, DownloadOptions options,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default) =>
        DownloadAsync(null, torrent, options, progress, ct);

    /// <summary>Downloads <paramref name="torrent"/> in <paramref name="session"/>: on its port, with its peer id and DHT
    /// node, sharing its budgets with its other torrents (<see cref="DownloadOptions.Session"/> is not read).</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the missing pieces.</exception>
    /// <exception cref="SwarmException">The session runs this torrent already.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the resume ledger was saved first.</exception>
    /// <remarks>A program that holds thousands of seeding torrents adds them to a <see cref="TorrentSession"/> instead:
    /// this task, and the method frames under it, wait as long as the torrent runs.</remarks>
    internal static async Task<DownloadResult> DownloadAsync(Session? session, Torrent torrent, DownloadOptions options,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = LoggingTo(options, session);
        var start = await PrepareAsync(session, torrent, options, ct).ConfigureAwait(false);
        return await RunPrepared(session, start, options, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Downloads what <see cref="OpenAsync(string, DownloadOptions, string?, CancellationToken)"/> opened, in a
    /// session of its own made from <see cref="DownloadOptions.Session"/>: a magnet link's <c>x.pe</c> peers are dialled
    /// beside <see cref="DownloadOptions.ExtraPeers"/>, and its <c>so</c> selection (BEP 53) is the file priorities
    /// unless <see cref="DownloadOptions.FilePriorities"/> is set (<see cref="TorrentSession.AddAsync"/> does the same in
    /// a session that holds many torrents).</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the missing pieces.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the resume ledger was saved first.</exception>
    public static Task<DownloadResult> DownloadAsync(OpenedTorrent opened, DownloadOptions options,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default) =>
        DownloadAsync(null, opened, options, progress, ct);

    /// <summary>Downloads what <see cref="OpenAsync(Session?, string, DownloadOptions, string?, CancellationToken)"/>
    /// opened, with what its source named: a magnet link's <c>x.pe</c> peers are dialled beside
    /// <see cref="DownloadOptions.ExtraPeers"/>, and its <c>so</c> selection (BEP 53) is the file priorities unless
    /// <see cref="DownloadOptions.FilePriorities"/> is set. With a null session, in a session of its own.</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the missing pieces.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the resume ledger was saved first.</exception>
    internal static Task<DownloadResult> DownloadAsync(Session? session, OpenedTorrent opened, DownloadOptions options,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(opened);
        ArgumentNullException.ThrowIfNull(options);
        return DownloadAsync(session, opened.Torrent, opened.WithPeersAndSelection(options), progress, ct);
    }

    /// <summary>Starts <paramref name="torrent"/> in <paramref name="session"/> as a run to stop later, rather than a
    /// task to await: progress and the end go to <paramref name="observer"/>. A torrent that has everything it wants
    /// and seeds without a ratio or time limit becomes a record of the session: no task, frame or cancellation waits
    /// with it while it seeds (what a server of thousands of seeding torrents is made of). A program holds such runs
    /// through <see cref="TorrentSession"/>'s handles, which start one per start or resume.</summary>
    /// <param name="session">The session it runs in; null: a session of its own, as <see cref="DownloadAsync(Torrent, DownloadOptions, IProgress{DownloadProgress}, CancellationToken)"/>.</param>
    /// <param name="torrent">The torrent.</param>
    /// <param name="options">As for a download.</param>
    /// <param name="observer">Hears its progress, and once how it ended (also when it failed at once).</param>
    internal static TorrentRun Start(Session? session, Torrent torrent, DownloadOptions options, ITorrentRunObserver observer)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(observer);
        var logged = LoggingTo(options, session);
        return TorrentRun.Start(session, observer, seedOnly: false, (progress, ct) => RunAsync(session, torrent, logged, progress, ct));
    }

    /// <summary>Starts seeding the pieces <paramref name="have"/> holds, verified by the caller, as a record of the
    /// session at once: no resume decision, no ledger read or written, nothing fetched (a seed-only torrent, as
    /// <see cref="TorrentSession.SeedAsync"/> adds).</summary>
    internal static TorrentRun StartSeeding(Session session, Torrent torrent, DownloadOptions options, Bitfield have, ITorrentRunObserver observer)
    {
        var logged = LoggingTo(options, session, EngineLog.Swarm);
        // Started on the run's task: its handle's lock is held here. It fails when the session has the torrent already.
        return TorrentRun.Start(session, observer, seedOnly: true, (_, _) => Task.FromResult(new SwarmOutcome(null, SeedingTorrent.Start(session, torrent, logged, have))));
    }

    /// <summary>Prepares (the resume decision, a re-hash), then downloads with the engine the options pick.</summary>
    private static async Task<SwarmOutcome> RunAsync(Session? session, Torrent torrent, DownloadOptions options,
        IProgress<DownloadProgress> progress, CancellationToken ct)
    {
        var start = await PrepareAsync(session, torrent, options, ct).ConfigureAwait(false);
        if (session is not null && EngineFor(options) == DownloadEngine.Swarm)
            return await SwarmDownload.RunAsync(start, options, progress, session, ct).ConfigureAwait(false);
        return new(await RunPrepared(session, start, options, progress, ct).ConfigureAwait(false), null);
    }

    /// <summary>The options with the lines of the session's logger factory (<see cref="SessionSettings.LoggerFactory"/>,
    /// of the session given or the one the download makes) when the torrent has no logger of its own, in the category
    /// of its engine (or <paramref name="category"/>).</summary>
    internal static DownloadOptions LoggingTo(DownloadOptions options, Session? session, string? category = null)
    {
        if (options.Log is not null) return options;
        category ??= EngineFor(options) == DownloadEngine.Reference ? EngineLog.Reference : EngineLog.Swarm;
        return (session?.Settings ?? options.Session).Lines(category) is { } lines ? options with { Log = lines } : options;
    }

    /// <summary>The checks of a download's options, then its resume decision (in a session, a re-hash of data on disk
    /// takes turns with the other torrents').</summary>
    /// <exception cref="ArgumentException">Options that contradict each other.</exception>
    internal static Task<DownloadStart> PrepareAsync(Session? session, Torrent torrent, DownloadOptions options, CancellationToken ct)
    {
        SettingsCheck.Check(options);
        CheckCombination(session, options);
        return session is null || EngineFor(options) == DownloadEngine.Reference
            ? DownloadStart.PrepareAsync(torrent, options, ct)
            : DownloadStart.PrepareAsync(torrent, options, ct, check => session.CheckInTurnAsync(check, ct));
    }

    /// <summary>Refuses options the engine they pick cannot honour in <paramref name="session"/> (or the session the
    /// download would make): the single-peer reference path neither seeds, speaks uTP nor takes a rate limit.</summary>
    /// <exception cref="ArgumentException">Such a combination.</exception>
    internal static void CheckCombination(Session? session, DownloadOptions options)
    {
        if (EngineFor(options) != DownloadEngine.Reference) return;
        if (options.SeedAfterDownload)
            throw new ArgumentException("seeding needs the swarm engine; the single-peer reference path only downloads");
        if ((session?.Settings ?? options.Session).Transport == PeerTransport.Utp)
            throw new ArgumentException("--transport utp needs the swarm engine; the single-peer reference path (--max-peers 1) speaks TCP only");
        if (RateLimited(session, options))
            throw new ArgumentException("a rate limit needs the swarm engine; the single-peer reference path (MaxPeers = 1) takes none");
    }

    /// <summary>True when a limit applies to the download: its own, or its session's (the one given, else the one it
    /// would make from <see cref="DownloadOptions.Session"/>).</summary>
    private static bool RateLimited(Session? session, DownloadOptions options) =>
        options.DownloadLimit is { IsLimited: true } || options.UploadLimit is { IsLimited: true }
        || (session?.DownloadLimit ?? options.Session.DownloadLimit) is { IsLimited: true }
        || (session?.UploadLimit ?? options.Session.UploadLimit) is { IsLimited: true };

    /// <summary>Runs a prepared download in the engine <see cref="DownloadOptions.Engine"/> names. The single-peer
    /// reference path joins no session but dials as the one given says (peer id, encryption, peer scope, timeouts).</summary>
    internal static async Task<DownloadResult> RunPrepared(Session? session, DownloadStart start, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        if (EngineFor(options) != DownloadEngine.Reference) return await RunSwarmAsync(session, start, options, progress, ct).ConfigureAwait(false);
        DownloadResult result;
        if (session is null) result = await ReferenceDownload.RunAsync(start, options, progress, ct).ConfigureAwait(false);
        else
        {
            // The reference story knows nothing of streams: the pieces its progress reports verified wake those waiting.
            var reads = session.Reads.Take(start.Torrent.InfoHash);
            try
            {
                result = await ReferenceDownload.RunAsync(start, options with { Session = session.Settings }, new WrittenFromProgress(reads, start.Torrent.PieceCount, progress), ct).ConfigureAwait(false);
            }
            finally { session.Reads.Release(start.Torrent.InfoHash, reads); }
        }
        options.Events?.Downloaded(result); // the story has every wanted piece (it returns only then)
        return result;
    }

    /// <summary>The swarm engine, awaited: in <paramref name="session"/>, or in one of its own made from
    /// <see cref="DownloadOptions.Session"/> (the DHT table kept beside the resume ledgers; no port bound when nothing is
    /// to be done); a torrent that seeds after is seeded until its plan ends or <paramref name="ct"/> is cancelled, which
    /// then ends the seeding and returns the result (the download itself succeeded).</summary>
    private static async Task<DownloadResult> RunSwarmAsync(Session? session, DownloadStart start, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        if (session is null && CompleteAtStart.NothingToDo(start, options))
            return await CompleteAtStart.RecordAsync(start, options, progress, ct).ConfigureAwait(false);
        await using var own = session is null ? Session.Start(OwnSession(options)) : null;
        var (result, seeding) = await SwarmDownload.RunAsync(start, options, progress, session ?? own!, ct).ConfigureAwait(false);
        // The seeding torrent waits without a frame of its own: its limits are timers of its own.
        return seeding is null ? result! : await seeding.SeedUntilCancelled(result, progress, ct).ConfigureAwait(false);
    }

    /// <summary>The settings of the session a download makes for itself: its DHT routing table beside its resume
    /// ledgers (the next download in that folder needs no bootstrap node), its log and trace the download's unless set.</summary>
    private static SessionSettings OwnSession(DownloadOptions options) => options.Session with
    {
        DhtStatePath = options.Session.DhtStatePath ?? Session.DhtStatePathIn(options.OutputDirectory),
        Log = options.Session.Log ?? options.Log,
        Trace = options.Session.Trace ?? options.Trace,
    };

    /// <summary>Passes progress on, telling <paramref name="reads"/> each piece first reported verified.</summary>
    private sealed class WrittenFromProgress(Pieces.ReadDemand reads, int pieceCount, IProgress<DownloadProgress>? inner) : IProgress<DownloadProgress>
    {
        private readonly Bitfield _told = new(pieceCount);

        public void Report(DownloadProgress value)
        {
            if (value.Pieces is { } pieces && pieces.Count == pieceCount)
            {
                for (var i = 0; i < pieceCount; i++)
                {
                    if (pieces[i] != PieceState.Verified) continue;
                    bool first;
                    lock (_told) first = _told.Set(i);
                    if (first) reads.Written(i);
                }
            }
            inner?.Report(value);
        }
    }

    /// <summary>The engine that runs a download with these options (the one engine choice).</summary>
    public static DownloadEngine EngineFor(DownloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.EngineToRun;
    }

    /// <summary>Downloads one piece with the reference story and returns its verified bytes (the classroom's
    /// <c>download_piece</c>); nothing is written to disk.</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the piece.</exception>
    public static Task<byte[]> DownloadPieceAsync(Torrent torrent, int index, DownloadOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ReferenceDownload.DownloadPieceAsync(torrent, index, LoggingTo(options, null, EngineLog.Reference), ct);
    }

    /// <summary>Starts a session: binds its peer port (TCP and UDP) and, unless off, its DHT node. Torrents join it
    /// through the overloads that take a session.</summary>
    /// <exception cref="SwarmException">The port cannot be bound.</exception>
    internal static Session StartSession(SessionSettings settings) => Session.Start(settings);
}
