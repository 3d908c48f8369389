using System.CommandLine;
using TorrentLab.Cli.Display;
using TorrentLab.Client;
using TorrentLab.Lab;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab demo</c>: the main job on an embedded default. A built-in swarm on 127.0.0.1 (our tracker and
/// synthetic seeders, one of them faulty) serves a generated multi-file torrent, which the real engine downloads and
/// verifies; nothing leaves the machine.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Folder to download into [default: a new folder under the temporary folder, one per run]",
        }.FolderNotFile();
        var settings = new DownloadSettings(classroom: true);
        var command = new Command("demo", "Download a generated torrent from a built-in local swarm, with one faulty peer to catch.") { output };
        settings.AddDisplayAndEngineTo(command);
        return command.WithAction(async (parse, ct) =>
        {
            var read = settings.ReadSession(parse); // a usage error before any folder is made
            // Without -o, a folder of this run's own (owner-only on Unix): another user's demo, or another run of ours,
            // never writes into it or deletes it. With -o, fresh every time: the demo's own folder is replaced, nothing
            // else in --output is touched.
            var given = parse.GetValue(output);
            var folder = given is null ? Directory.CreateTempSubdirectory("torrentlab-demo-").FullName : Path.GetFullPath(given);
            var target = Path.Combine(folder, "torrentlab-demo");
            if (given is not null && Directory.Exists(target)) Directory.Delete(target, recursive: true);
            var quiet = settings.IsQuiet(parse);
            if (!quiet) Console.Error.WriteLine($"demo folder: {folder}");
            if (!quiet) Console.Error.WriteLine("local swarm on 127.0.0.1: a tracker and 4 seeders, one of them sending bad data");

            await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
            {
                Random = new Random(1),
                Folder = folder,
                Behaviours = [SyntheticBehaviour.Normal, SyntheticBehaviour.CorruptBlock, SyntheticBehaviour.Normal, SyntheticBehaviour.Normal],
                MakeTorrent = url => LabTorrent.GenerateDemo(folder, url),
                Encryption = Wire.EncryptionPolicy.Prefer, // the engine dials with MSE/PE first, as real peers accept it
                // The faulty seeder corrupts every piece it sends, so it is caught whichever pieces it is asked for.
                ConfigurePeer = (options, behaviour, _) => behaviour == SyntheticBehaviour.CorruptBlock ? options with { CorruptPieceIndex = -1 } : options,
            }, ct).ConfigureAwait(false);
            var torrent = swarm.Torrent.Torrent;
            var faulty = swarm.Peers.Single(p => p.Behaviour == SyntheticBehaviour.CorruptBlock).EndPoint;
            var session = read with
            {
                ListenPort = 0,
                BindAddresses = [System.Net.IPAddress.Loopback], // the demo's swarm lives on 127.0.0.1 only
                DialTcpFirst = true, // the lab's synthetic seeders speak TCP only: no unanswered uTP attempt before each
                Dht = false, // and its tracker knows every peer: no packet to the public DHT
            };
            var options = settings.ReadTorrent(parse, folder) with
            {
                Resume = false,
                // The single-peer path takes peers in order: offer the faulty one first so it is seen being caught.
                ExtraPeers = [faulty],
            };

            var result = await MainCommand.RunEngineAsync(torrent, session, options, quiet, settings.IsVerbose(parse), ct,
                p => $"interrupted: {p?.PiecesDone ?? 0} of {torrent.PieceCount} pieces downloaded; the demo starts afresh on every run").ConfigureAwait(false);
            var verified = (await TorrentClient.VerifyAsync(torrent, folder, writeLedger: false, ct).ConfigureAwait(false)).Have;

            Console.Out.WriteLine($"demo complete: '{torrent.Name}' ({Units.Bytes(torrent.TotalLength)}, {torrent.Files.Count} files, {torrent.PieceCount} pieces) " +
                                  $"in {result.Elapsed.TotalSeconds:0.00} s ({Units.Rate(result.AverageRate)})");
            Console.Out.WriteLine($"peers used: {result.PeersUsed.Count} of {swarm.Peers.Count}; bad peers dropped: {result.BadPeers.Count}");
            foreach (var bad in result.BadPeers) Console.Out.WriteLine($"  dropped {bad}");
            Console.Out.WriteLine($"verified on disk: {verified.Count}/{torrent.PieceCount} pieces match their SHA-1");
            Console.Out.WriteLine($"files: {target}");
            Console.Out.WriteLine($"torrent: {swarm.Torrent.Path}  (try: torrentlab info {swarm.Torrent.Path})");
            return verified.IsComplete ? ExitCodes.Ok : ExitCodes.VerifyFailed;
        });
    }
}
