using System.CommandLine;
using System.Net;
using TorrentLab.Cli.Display;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.PortMapping;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab seed a.torrent [b.torrent | folder ...] --data DIR</c>: verifies each torrent's data, then seeds
/// them all in one session (one port, one DHT node) until Ctrl-C (exit 130 after announcing <c>stopped</c>); status
/// lines go to stderr.</summary>
internal static class SeedCommand
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(2);

    public static Command Create()
    {
        var torrentPaths = new Argument<string[]>("torrents")
        {
            Description = "The .torrent files, or folders of them: all are seeded in one session, on one port",
            Arity = ArgumentArity.OneOrMore,
        }.NotAnOption();
        var data = new Option<string>("--data", "-d", "--download-dir") { Description = "The folder that contains the torrent's file or folder (as -d/--download-dir or -o of a download)", Required = true }.FolderNotFile();
        var port = DownloadSettings.PortOption();
        var trackers = new Option<string[]>("--tracker") { Description = "Announce here instead of the torrent's trackers (repeatable)", AllowMultipleArgumentsPerToken = false }.TrackerUrls();
        var bind = DownloadSettings.BindOption();
        var bindInterface = DownloadSettings.BindInterfaceOption();
        var partial = new Option<bool>("--partial") { Description = "Seed even when some pieces are missing (only verified pieces are served)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No status lines" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log peer events" };
        var trace = new Option<bool>("--trace") { Description = "Print every wire message exchanged with each peer on stderr" };
        var encryption = DownloadSettings.EncryptionOption();
        var transport = DownloadSettings.TransportOption();
        var peers = new Option<string[]>("--peer") { Description = "Also dial this peer, HOST:PORT (repeatable): feeds a downloader that never dials seeders" }.Each(v => PeerAddress.Check(v, "--peer"));
        var noDht = DownloadSettings.NoDhtOption();
        var bootstrap = DownloadSettings.DhtBootstrapOption();
        var dhtState = new Option<string?>("--dht-state") { Description = "Save the DHT routing table to this file and reuse it next start (default: none; the data folder is never written)" }.FileNotFolder();
        var maxPeers = DownloadSettings.MaxPeersOption("Peers connected at once per torrent, dialled (tracker peers and --peer) or dialling us");
        var maxUploadRate = RateOption.Upload();
        var lsd = DownloadSettings.LsdOption();
        var blocklist = DownloadSettings.BlocklistOption();
        var portMapping = DownloadSettings.PortMappingOption();
        var portMappingProtocols = DownloadSettings.PortMappingProtocolsOption();
        var proxy = DownloadSettings.ProxyOption();
        var proxyOnly = DownloadSettings.ProxyOnlyOption();
        var superSeed = new Option<bool>("--super-seed") { Description = "BEP 16 super-seeding: announce no pieces, reveal to each peer one piece the others lack, the next once the last has spread (for the first seed of a torrent)" };
        var command = new Command("seed", "Verify data on disk and seed it until Ctrl-C (several torrents share one port).") { torrentPaths, data, port, trackers, bind, bindInterface, partial, quiet, verbose, trace, encryption, transport, peers, noDht, bootstrap, dhtState, maxPeers, maxUploadRate, superSeed, lsd, blocklist, portMapping, portMappingProtocols, proxy, proxyOnly };
        return command.WithAction((parse, ct) => RunAsync(
            parse.GetValue(torrentPaths)!, parse.GetValue(data)!, parse.GetValue(port), parse.GetValue(trackers) ?? [],
            parse.GetValue(bind), parse.GetValue(partial), parse.GetValue(quiet), parse.GetValue(verbose),
            new Extras(parse.GetValue(trace), DownloadSettings.ParseEncryption(parse.GetValue(encryption)), parse.GetValue(peers) ?? [],
                DownloadSettings.ParseTransport(parse.GetValue(transport)),
                !parse.GetValue(noDht), DownloadSettings.ReadBootstrap(parse.GetValue(bootstrap)), parse.GetValue(dhtState), parse.GetValue(maxPeers))
            {
                UploadRate = parse.GetValue(maxUploadRate), SuperSeed = parse.GetValue(superSeed), Lsd = parse.GetValue(lsd), Blocklist = parse.GetValue(blocklist),
                PortMapping = DownloadSettings.ReadPortMapping(parse.GetValue(portMapping), parse.GetValue(portMappingProtocols)),
                Proxy = DownloadSettings.ReadProxy(parse.GetValue(proxy), parse.GetValue(proxyOnly)),
                BindInterface = parse.GetValue(bindInterface),
            }, ct));
    }

    /// <summary>The seed options beyond the first ones: --trace, --encryption, --peer, --transport, the DHT's and --max-peers.</summary>
    private sealed record Extras(bool Trace, Wire.EncryptionPolicy Encryption, string[] Peers, PeerTransport Transport, bool Dht,
        IReadOnlyList<string> DhtBootstrap, string? DhtState, int MaxPeers)
    {
        /// <summary><c>--max-upload-rate</c> in bytes per second (0: unlimited).</summary>
        public long UploadRate { get; init; }

        /// <summary><c>--super-seed</c>: BEP 16 for every torrent seeded.</summary>
        public bool SuperSeed { get; init; }

        /// <summary><c>--lsd</c>: local service discovery (BEP 14) for every public torrent seeded.</summary>
        public bool Lsd { get; init; }

        /// <summary><c>--port-mapping</c> and <c>--port-mapping-protocols</c>: the router forwards the peer port.</summary>
        public PortMappingProtocols PortMapping { get; init; }

        /// <summary><c>--proxy</c> and <c>--proxy-only</c>: every connection through a SOCKS5 proxy.</summary>
        public TorrentLab.Proxy.Socks5Proxy? Proxy { get; init; }

        /// <summary><c>--blocklist</c>: the file or URL of address ranges never connected to.</summary>
        public string? Blocklist { get; init; }

        /// <summary><c>--bind-interface</c>: everything goes out from this interface, nothing while it is down.</summary>
        public string? BindInterface { get; init; }
    }

    private static async Task<int> RunAsync(string[] torrentPaths, string data, int? port, string[] trackers, string[]? bind, bool partial,
        bool quiet, bool verbose, Extras extras, CancellationToken ct)
    {
        var addresses = DownloadSettings.ParseBind(bind);
        var dial = new List<IPEndPoint>();
        foreach (var peer in extras.Peers)
            dial.Add(PeerAddress.Resolve(peer, "--peer"));
        var torrents = LoadAll(torrentPaths);
        // Refused before anything starts or is printed (else "verifying" and a summary of nothing came before the error).
        if (!Directory.Exists(data)) throw new DirectoryNotFoundException($"data folder '{data}' does not exist");
        var stderr = Console.Error;
        Action<string>? Log(string? name) => verbose
            ? line => stderr.WriteLine(LogFileWriter.Short(DateTimeOffset.Now) + " " + (name is null ? line : $"[{name}] {line}"))
            : null;
        var settings = new SessionSettings
        {
            ListenPort = port ?? DownloadSettings.DefaultPort,
            PortFallback = port is null, // a port given is bound or the command fails (exit 10); only the default moves
            BindAddresses = addresses,
            Encryption = extras.Encryption,
            Transport = extras.Transport,
            Dht = extras.Dht,
            DhtBootstrap = extras.DhtBootstrap,
            Lsd = extras.Lsd,
            PortMapping = extras.PortMapping,
            Proxy = extras.Proxy,
            BindInterface = extras.BindInterface,
            DhtStatePath = extras.DhtState is null ? null : Path.GetFullPath(extras.DhtState),
            LoggerFactory = LineLogger.For(Log(null)),
            Trace = extras.Trace ? e => stderr.WriteLine(DownloadSettings.TraceLine(e, bytes: false)) : null,
            MaxConnections = Math.Max(extras.MaxPeers, 500),
            Blocklist = await DownloadSettings.LoadBlocklistAsync(extras.Blocklist, Log(null), ct, extras.Proxy).ConfigureAwait(false),
            UploadLimit = RateOption.Limit(extras.UploadRate), // one limit for all the torrents seeded: the session's
        };
        DownloadSettings.CheckProxyOnly(settings);
        DownloadSettings.CheckBindInterface(settings);
        await using var session = TorrentSession.Start(settings);
        using var settler = new HeapSettler(TimeProvider.System); // the verification's memory, given back once seeding is idle
        var seeding = new List<TorrentHandle>();
        Torrent? twice = null;
        try
        {
            foreach (var torrent in torrents)
            {
                if (!quiet) stderr.WriteLine($"verifying '{torrent.Name}' ({Units.Bytes(torrent.PayloadLength)}, {torrent.PieceCount} pieces)...");
                // The same torrent named twice (two paths, or a folder and a file in it) is one torrent of the session.
                if (session.Find(torrent.InfoHash) is not null)
                {
                    twice = torrent;
                    break;
                }
                var options = new DownloadOptions
                {
                    OutputDirectory = data,
                    Trackers = trackers.Length > 0 ? [trackers] : null,
                    Logger = torrents.Count > 1 ? LineLogger.For(Log(torrent.Name)) : null, // else the session's
                    Trace = settings.Trace,
                    MaxPeers = extras.MaxPeers,
                    ExtraPeers = dial, // dialled first; peers from the tracker are dialled too, and dropped if they turn out to be seeds
                    SuperSeed = extras.SuperSeed,
                };
                TorrentHandle handle;
                using (var checking = CheckingLine.OnStderr(torrent.Name, torrent.TotalLength, quiet))
                    handle = await session.SeedAsync(torrent, options with { Checking = checking }, partial, ct).ConfigureAwait(false);
                seeding.Add(handle);
                if (!quiet) stderr.WriteLine($"seeding '{torrent.Name}': {handle.PiecesDone}/{torrent.PieceCount} pieces on port {session.Port}");
            }
            if (twice is null)
            {
                if (!quiet) stderr.WriteLine(seeding.Count == 1 ? "(Ctrl-C to stop)" : $"seeding {seeding.Count} torrents on port {session.Port} (Ctrl-C to stop)");
                await RunUntilCancelledAsync(seeding, quiet, stderr, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            // The session stops each torrent (peers leave, trackers hear 'stopped'; then its upload count is final) while
            // the router's port mappings are removed.
            await session.DisposeAsync().ConfigureAwait(false);
            // With --quiet too: the one summary line at the end, once something was seeded (a refusal is its own line).
            var uploaded = seeding.Sum(h => h.Uploaded);
            var size = seeding.Sum(h => h.Torrent.PayloadLength);
            if (seeding.Count > 0)
                stderr.WriteLine($"stopping: uploaded {Units.Bytes(uploaded)}, ratio {new SeedPlan(null, null, size).ShowRatio(uploaded)}");
        }
        // The line and exit code the engine's refusal of a second copy always gave.
        if (twice is not null)
        {
            stderr.WriteLine($"error: torrent '{UntrustedText.Clean(twice.Name, 200)}' ({twice.InfoHash.Hex}) is running in this session already");
            return ExitCodes.Failed;
        }
        return ExitCodes.Ok; // not reached: seeding ends only by cancellation (exit 130)
    }

    /// <summary>Every .torrent named, a folder standing for the .torrent files in it (in name order).</summary>
    private static List<Torrent> LoadAll(string[] paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (!Directory.Exists(path)) { files.Add(path); continue; }
            var inFolder = Directory.GetFiles(path, "*.torrent").Order(StringComparer.Ordinal).ToList();
            // The line every command gives for a folder where a .torrent belongs (exit 4), and why seed could not use it.
            if (inFolder.Count == 0) throw new IOException($"{Path.GetFullPath(path)} is a folder, not a file, and holds no .torrent file to seed");
            files.AddRange(inFolder);
        }
        return files.ConvertAll(Torrent.Load);
    }

    /// <summary>Prints a status line every <see cref="StatusInterval"/> (totals over all torrents) until cancelled; a
    /// torrent whose data can no longer be read ends the command with its error.</summary>
    private static async Task RunUntilCancelledAsync(List<TorrentHandle> seeding, bool quiet, TextWriter stderr, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(StatusInterval);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            if (seeding.Find(h => h.State == TorrentState.Failed) is { Error: { } error })
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            if (quiet) continue;
            stderr.WriteLine(Describe(seeding));
        }
    }

    private static string Describe(List<TorrentHandle> all)
    {
        // A torrent with no peer keeps no progress report (ten thousand idle ones hold none): its rates and peers are 0.
        var reports = all.ConvertAll(h => h.Progress);
        var dropped = reports.Sum(p => p?.BadPeers ?? 0);
        return $"uploaded {Units.Bytes(all.Sum(h => h.Uploaded))} up {Units.Rate(reports.Sum(p => p?.UploadRate ?? 0))} peers {reports.Sum(p => p?.ConnectedPeers ?? 0)}" +
            (dropped > 0 ? $" dropped {dropped}" : "");
    }
}
