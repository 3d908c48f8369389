using System.CommandLine;
using TorrentLab.Cli.Display;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary>The main use, on the root command: <c>torrentlab file.torrent --output downloads [--no-resume]</c>.</summary>
internal static class MainCommand
{
    /// <summary>Adds the torrent argument, the download options and the action to the root command.</summary>
    public static void AttachTo(RootCommand root)
    {
        var torrent = new Argument<string?>("torrent") { Description = "The .torrent file or magnet link to download", Arity = ArgumentArity.ZeroOrOne }.NotAnOption();
        var output = new Option<string>("--output", "-o", "--download-dir", "-d") { Description = "Folder to download into", DefaultValueFactory = _ => "." }.FolderNotFile();
        var settings = new DownloadSettings();
        var selection = new SelectionSettings();
        var seed = new Option<bool>("--seed") { Description = "Keep seeding after the download completes (until Ctrl-C or a limit)" };
        var seedRatio = SeedRatioOption("Stop seeding once uploaded/size reaches this ratio (implies --seed)");
        var seedTime = SeedTimeOption("Stop seeding after this long, e.g. 30m, 2h (a bare number is minutes; implies --seed)");
        var superSeed = new Option<bool>("--super-seed") { Description = "Seed after completing with BEP 16 super-seeding: reveal one piece at a time to each new peer (implies --seed)" };
        var maxDownloadRate = RateOption.Download();
        var maxUploadRate = RateOption.Upload();
        var portMapping = DownloadSettings.PortMappingOption();
        var portMappingProtocols = DownloadSettings.PortMappingProtocolsOption();
        root.Arguments.Add(torrent);
        root.Options.Add(output);
        root.Options.Add(seed);
        root.Options.Add(seedRatio);
        root.Options.Add(seedTime);
        root.Options.Add(superSeed);
        root.Options.Add(maxDownloadRate);
        root.Options.Add(maxUploadRate);
        root.Options.Add(portMapping);
        root.Options.Add(portMappingProtocols);
        var record = new Option<string?>("--record")
        {
            Description = "Record how the piece map fills (each piece's changes with their time, and who sent it) to FILE as JSON, for 'torrentlab replay'",
        }.FileNotFolder();
        root.Options.Add(record);
        settings.AddTo(root);
        selection.AddTo(root);
        root.WithAction(async (parse, ct) =>
        {
            var path = parse.GetValue(torrent);
            if (path is null)
            {
                Console.Error.WriteLine("error: give a .torrent file to download, or a command (see 'torrentlab --help')");
                return ExitCodes.Usage;
            }
            var options = settings.ReadTorrent(parse, Path.GetFullPath(parse.GetValue(output)!)) with
            {
                SeedAfterDownload = parse.GetValue(seed) || parse.GetValue(superSeed) || parse.GetValue(seedRatio) is not null || parse.GetValue(seedTime) is not null,
                SuperSeed = parse.GetValue(superSeed),
                SeedRatio = parse.GetValue(seedRatio),
                SeedTime = parse.GetValue(seedTime),
                Sequential = parse.GetValue(selection.Sequential),
                DownloadLimit = RateOption.Limit(parse.GetValue(maxDownloadRate)),
                UploadLimit = RateOption.Limit(parse.GetValue(maxUploadRate)),
            };
            var mapping = DownloadSettings.ReadPortMapping(parse.GetValue(portMapping), parse.GetValue(portMappingProtocols));
            selection.Check(parse);
            var read = settings.ReadSession(parse);
            DownloadSettings.CheckProxyOnly(read with { PortMapping = mapping });
            if (mapping != PortMapping.PortMappingProtocols.None && options.MaxPeers == 1)
                throw new UsageException("--port-mapping needs the swarm engine; the single-peer reference path (--max-peers 1) listens on no port");
            if ((options.DownloadLimit ?? options.UploadLimit) is not null && options.MaxPeers == 1)
                throw new UsageException("--max-download-rate and --max-upload-rate need the swarm engine; --max-peers 1 runs the reference path, which has no limits");
            if (options.SeedAfterDownload && options.MaxPeers == 1)
                throw new UsageException("--seed needs the swarm engine; the single-peer reference path (--max-peers 1) only downloads");
            // A folder: the same line and exit code as every command that reads a .torrent ("... is a folder, not a file", 4).
            if (Directory.Exists(path)) throw new FileNotFoundException(null, Path.GetFullPath(path));
            if (!TorrentClient.IsMagnet(path) && !File.Exists(path) && !path.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"'{path}' is neither a command nor an existing .torrent file (see 'torrentlab --help')");
            CommandParts.RequirePeerSource(path, read.Dht);
            var sessionSettings = read with
            {
                DhtStatePath = read.DhtStatePath ?? TorrentClient.DhtStatePathIn(options.OutputDirectory),
                Trace = options.Trace,
                PortMapping = mapping,
            };
            // The swarm engine holds the torrent in a session of its own making (one port, its DHT node): a magnet link's
            // metadata is fetched there first (BEP 9), so the trackers hear the port the download listens on and the DHT
            // lookup runs on its node; a .torrent is read before the session binds its port. The single-peer story runs
            // on its own, without a session.
            await using var session = TorrentClient.IsMagnet(path) && TorrentClient.EngineFor(options) == DownloadEngine.Swarm
                ? TorrentSession.Start(sessionSettings)
                : null;
            var (loaded, linkPeers, linkSelection) = session is not null
                ? await session.OpenAsync(path, options, ct).ConfigureAwait(false)
                : await TorrentClient.OpenAsync(path, options with { Session = sessionSettings }, ct: ct).ConfigureAwait(false);
            // --select and --select-file, when given, replace what a magnet link's 'so' selects (BEP 53).
            options = options with
            {
                ExtraPeers = [.. linkPeers, .. options.ExtraPeers],
                FilePriorities = selection.Priorities(parse, loaded) ?? linkSelection,
            };
            // Only now, with a torrent that parsed and options that make sense: a mistake leaves no empty folder behind.
            Directory.CreateDirectory(options.OutputDirectory);
            var recorder = parse.GetValue(record) is not null ? new PieceRecorder(loaded) : null;
            DownloadResult result;
            try
            {
                result = await RunEngineAsync(loaded, sessionSettings, options, settings.IsQuiet(parse), settings.IsVerbose(parse), ct, session: session,
                    recorder: recorder).ConfigureAwait(false);
            }
            finally
            {
                // Written however the download ended (Ctrl-C included): what was seen is worth replaying.
                if (recorder is not null) await File.WriteAllTextAsync(parse.GetValue(record)!, recorder.ToRecording().ToJson(), CancellationToken.None).ConfigureAwait(false);
            }
            Console.Out.WriteLine(Summary(loaded, options.OutputDirectory, result, options.SeedAfterDownload));
            if (settings.IsVerbose(parse)) Console.Error.WriteLine(result.PeerSources);
            return ExitCodes.Ok;
        });
    }

    /// <summary><c>--seed-ratio R</c>: a ratio from 0 (stop at once) to a million.</summary>
    public static Option<double?> SeedRatioOption(string description) =>
        new Option<double?>("--seed-ratio") { Description = description }.AtLeast(0, 1_000_000);

    /// <summary><c>--seed-time DURATION</c>: 0 or more, a bare number in minutes (as it always was).</summary>
    public static Option<TimeSpan?> SeedTimeOption(string description) =>
        Duration.Create("--seed-time", description, TimeSpan.FromMinutes(1), allowZero: true);

    /// <summary>Runs the download with the progress display: in a session through its handle (the swarm engine; in
    /// <paramref name="session"/>, else in one made from <paramref name="sessionSettings"/>), or on its own through the
    /// front door (the single-peer reference story, which joins no session).</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="sessionSettings">The session's settings (port, DHT, encryption, logging).</param>
    /// <param name="options">The torrent's own options, without session settings.</param>
    /// <param name="quiet">No progress display.</param>
    /// <param name="verbose">A row per peer.</param>
    /// <param name="ct">Ctrl-C: the torrent is paused (its ledger saved) and the interrupted line thrown.</param>
    /// <param name="interrupted">The Ctrl-C line; by default, the pieces saved in the output folder and how to resume.</param>
    /// <param name="session">The session to download in; null for one of the download's own.</param>
    /// <param name="recorder">Records each piece map the progress reports give (<c>--record</c>), or null.</param>
    public static async Task<DownloadResult> RunEngineAsync(Torrent torrent, SessionSettings sessionSettings, DownloadOptions options, bool quiet,
        bool verbose, CancellationToken ct, Func<DownloadProgress?, string>? interrupted = null, TorrentSession? session = null,
        PieceRecorder? recorder = null)
    {
        var view = new ProgressView(quiet, verbose) { Seeding = PlanOf(torrent, options) };
        options = options with { Checking = view.Checking(torrent.TotalLength) };
        interrupted ??= ProgressView.Saved(options.OutputDirectory, options.Resume);
        if (TorrentClient.EngineFor(options) == DownloadEngine.Reference)
            return await view.RunAsync(torrent.Name, progress => TorrentClient.DownloadAsync(torrent, options with { Session = sessionSettings },
                Recorded(progress, recorder), ct), interrupted, ct).ConfigureAwait(false);
        await using var own = session is null ? TorrentSession.Start(sessionSettings) : null;
        var handle = (session ?? own!).Add(torrent, options);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            return await view.RunAsync(torrent.Name, progress => FollowAsync(handle, Recorded(progress, recorder, started), ct), interrupted, ct).ConfigureAwait(false);
        }
        finally
        {
            // The map as the download ended, senders included: a fast download on a busy machine may end before the
            // follower saw any report.
            recorder?.Observe(handle.Pieces, TimeProvider.System.GetElapsedTime(started));
        }
    }

    /// <summary>The progress, each report's piece map also going to <paramref name="recorder"/> (timed from
    /// <paramref name="started"/>, a timestamp of the system clock; now by default).</summary>
    private static IProgress<DownloadProgress> Recorded(IProgress<DownloadProgress> progress, PieceRecorder? recorder, long? started = null)
    {
        if (recorder is null) return progress;
        var from = started ?? TimeProvider.System.GetTimestamp();
        return new RecordingProgress(progress, p =>
        {
            if (p.Pieces is { } map) recorder.Observe(map, TimeProvider.System.GetElapsedTime(from));
        });
    }

    /// <summary>Reports to <paramref name="inner"/> after <paramref name="also"/> saw the report.</summary>
    private sealed class RecordingProgress(IProgress<DownloadProgress> inner, Action<DownloadProgress> also) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            also(value);
            inner.Report(value);
        }
    }

    /// <summary>Follows a torrent's handle until its run ends: each new progress report to <paramref name="progress"/>,
    /// then its result, or its error thrown. Ctrl-C pauses it (ledger saved, trackers told): a torrent that had every
    /// piece it wants and was seeding ends with its result; one still downloading throws the cancellation.</summary>
    private static async Task<DownloadResult> FollowAsync(TorrentHandle handle, IProgress<DownloadProgress> progress, CancellationToken ct)
    {
        DownloadProgress? shown = null;
        var version = handle.Version;
        while (true)
        {
            if (handle.Progress is { } report && !ReferenceEquals(report, shown)) progress.Report(shown = report);
            switch (handle.State)
            {
                case TorrentState.Completed:
                    return handle.Result!;
                case TorrentState.Failed:
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(handle.Error!);
                    break;
            }
            try
            {
                version = await handle.WaitForChangeAsync(version, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await handle.PauseAsync().ConfigureAwait(false);
                if (handle.Result is { } seeded) return seeded; // it had everything and seeded: Ctrl-C ends the seeding
                throw;
            }
        }
    }

    /// <summary>What ends the seeding after the download, for the display; null when it does not seed.</summary>
    public static SeedPlan? PlanOf(Torrent torrent, DownloadOptions options) =>
        options.SeedAfterDownload ? new SeedPlan(options.SeedRatio, options.SeedTime, torrent.PayloadLength) : null;

    /// <summary>The closing line: what was downloaded, where, how fast, and from whom.</summary>
    public static string Summary(Torrent torrent, string folder, DownloadResult result, bool seeded = false)
    {
        var uploaded = result.Uploaded > 0 || seeded
            ? $"; uploaded {Units.Bytes(result.Uploaded)}" + (seeded ? $", ratio {new SeedPlan(null, null, torrent.PayloadLength).ShowRatio(result.Uploaded)}" : "")
            : "";
        if (result.Downloaded == 0 && result.PiecesFromResume == torrent.PieceCount)
            return $"'{torrent.Name}' ({Units.Bytes(torrent.PayloadLength)}) is complete in {Path.Combine(folder, torrent.Name)}: " +
                   $"all {result.PiecesFromResume} of {torrent.PieceCount} pieces were already on disk, nothing to download{uploaded}";
        var line = $"downloaded '{torrent.Name}' ({Units.Bytes(torrent.PayloadLength)}) to {Path.Combine(folder, torrent.Name)} " +
                   $"in {result.Elapsed.TotalSeconds:0.0} s ({Units.Rate(result.AverageRate)}); " +
                   $"received {result.Downloaded} bytes from {Units.Count(result.PeersUsed.Count, "peer")}";
        if (result.Selected is { } selected)
            line = line.Replace($"({Units.Bytes(torrent.PayloadLength)})", $"({Units.Bytes(selected.Bytes)} of {Units.Bytes(torrent.PayloadLength)} selected, {Units.Count(selected.SkippedFiles, "file")} skipped)", StringComparison.Ordinal);
        if (result.PiecesFromResume > 0) line += $"; {result.PiecesFromResume} of {torrent.PieceCount} pieces were already on disk";
        line += uploaded;
        if (result.BadPeers.Count > 0) line += $"; dropped {Units.Count(result.BadPeers.Count, "bad peer")}: {string.Join("; ", result.BadPeers)}";
        return line;
    }
}
