using System.CommandLine;
using System.Net;
using TorrentLab.Cli.Display;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab seed &lt;file.torrent&gt; --data DIR</c>: verifies the data, announces, and serves peers
/// until Ctrl-C (exit 130 after announcing <c>stopped</c>); status lines go to stderr.</summary>
internal static class SeedCommand
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(2);

    public static Command Create()
    {
        var torrentPath = CommandParts.TorrentArgument();
        var data = new Option<string>("--data", "-d") { Description = "The folder that contains the torrent's file or folder (as --output of a download)", Required = true };
        var port = new Option<int>("--port", "-p") { Description = "Port to listen on, TCP and UDP for uTP (0: any free port)", DefaultValueFactory = _ => 6881 };
        var trackers = new Option<string[]>("--tracker") { Description = "Announce here instead of the torrent's trackers (repeatable)", AllowMultipleArgumentsPerToken = false };
        var bind = DownloadSettings.BindOption();
        var partial = new Option<bool>("--partial") { Description = "Seed even when some pieces are missing (only verified pieces are served)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No status lines" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log peer events" };
        var trace = new Option<bool>("--trace") { Description = "Print every wire message exchanged with each peer on stderr" };
        var encryption = DownloadSettings.EncryptionOption();
        var transport = DownloadSettings.TransportOption();
        var peers = new Option<string[]>("--peer") { Description = "Also dial this peer, HOST:PORT (repeatable): feeds a downloader that never dials seeders" };
        var noDht = DownloadSettings.NoDhtOption();
        var bootstrap = DownloadSettings.DhtBootstrapOption();
        var dhtState = new Option<string?>("--dht-state") { Description = "Save the DHT routing table to this file and reuse it next start (default: none; the data folder is never written)" };
        var maxPeers = new Option<int>("--max-peers") { Description = "Peers connected at once, dialled (tracker peers and --peer) or dialling us", DefaultValueFactory = _ => 50 };
        var maxUploadRate = RateOption.Upload();
        var command = new Command("seed", "Verify data on disk and seed it until Ctrl-C.") { torrentPath, data, port, trackers, bind, partial, quiet, verbose, trace, encryption, transport, peers, noDht, bootstrap, dhtState, maxPeers, maxUploadRate };
        return command.WithAction((parse, ct) => RunAsync(
            parse.GetValue(torrentPath)!, parse.GetValue(data)!, parse.GetValue(port), parse.GetValue(trackers) ?? [],
            parse.GetValue(bind), parse.GetValue(partial), parse.GetValue(quiet), parse.GetValue(verbose),
            new Extras(parse.GetValue(trace), DownloadSettings.ParseEncryption(parse.GetValue(encryption)), parse.GetValue(peers) ?? [],
                DownloadSettings.ParseTransport(parse.GetValue(transport)),
                !parse.GetValue(noDht), DownloadSettings.ReadBootstrap(parse.GetValue(bootstrap)), parse.GetValue(dhtState), parse.GetValue(maxPeers))
            { UploadRate = parse.GetValue(maxUploadRate) }, ct));
    }

    /// <summary>The seed options beyond the first ones: --trace, --encryption, --peer, --transport, the DHT's and --max-peers.</summary>
    private sealed record Extras(bool Trace, Wire.EncryptionPolicy Encryption, string[] Peers, PeerTransport Transport, bool Dht,
        IReadOnlyList<string> DhtBootstrap, string? DhtState, int MaxPeers)
    {
        /// <summary><c>--max-upload-rate</c> in bytes per second (0: unlimited).</summary>
        public long UploadRate { get; init; }
    }

    private static async Task<int> RunAsync(string torrentPath, string data, int port, string[] trackers, string[]? bind, bool partial,
        bool quiet, bool verbose, Extras extras, CancellationToken ct)
    {
        if (port is < 0 or > 65535) throw new ArgumentException($"--port must be between 0 and 65535, got {port}");
        if (extras.MaxPeers < 1) throw new UsageException("--max-peers must be at least 1");
        var addresses = DownloadSettings.ParseBind(bind);
        var dial = new List<IPEndPoint>();
        foreach (var peer in extras.Peers)
            dial.Add(PeerAddress.Resolve(peer, "--peer"));
        var torrent = Torrent.Load(torrentPath);
        var stderr = Console.Error;
        var options = new DownloadOptions
        {
            OutputDirectory = data,
            ListenPort = port,
            BindAddresses = addresses,
            Trackers = trackers.Length > 0 ? [trackers] : null,
            Log = verbose ? line => stderr.WriteLine(line) : null,
            Trace = extras.Trace ? e => stderr.WriteLine(DownloadSettings.TraceLine(e, bytes: false)) : null,
            Encryption = extras.Encryption,
            Transport = extras.Transport,
            MaxPeers = extras.MaxPeers,
            ExtraPeers = dial, // dialled first; peers from the tracker are dialled too, and dropped if they turn out to be seeds
            Dht = extras.Dht,
            DhtBootstrap = extras.DhtBootstrap,
            DhtStatePath = extras.DhtState is null ? null : Path.GetFullPath(extras.DhtState),
            UploadLimit = RateOption.Limit(extras.UploadRate),
        };
        if (!quiet) stderr.WriteLine($"verifying '{torrent.Name}' ({Units.Bytes(torrent.TotalLength)}, {torrent.PieceCount} pieces)...");
        await using var seeder = await TorrentClient.SeedAsync(torrent, options, partial, ct).ConfigureAwait(false);
        if (!quiet) stderr.WriteLine($"seeding '{torrent.Name}': {seeder.PiecesAvailable}/{torrent.PieceCount} pieces on port {seeder.Port} (Ctrl-C to stop)");
        var last = DateTime.MinValue;
        var status = new Status(p =>
        {
            if (quiet || DateTime.UtcNow - last < StatusInterval) return;
            last = DateTime.UtcNow;
            stderr.WriteLine(Describe(p));
        });
        try
        {
            await seeder.RunAsync(status, ct).ConfigureAwait(false);
        }
        finally
        {
            if (!quiet) stderr.WriteLine($"stopping: uploaded {Units.Bytes(seeder.Uploaded)}");
        }
        return ExitCodes.Ok; // not reached: RunAsync ends only by cancellation (exit 130)
    }

    private static string Describe(DownloadProgress p) =>
        $"uploaded {Units.Bytes(p.Uploaded)} up {Units.Rate(p.UploadRate)} peers {p.ConnectedPeers}" +
        (p.BadPeers > 0 ? $" dropped {p.BadPeers}" : "");

    private sealed class Status(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
