using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using TorrentLab.Lab;
using TorrentLab.Wire;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab lab swarm [--peers N] [--faults [KIND,...]] [--payload-size BYTES]</c>: a classroom swarm on
/// loopback (our tracker and N synthetic seeders over a generated payload) that runs until Ctrl-C, for exploring with
/// any client. Exits 0 when stopped with Ctrl-C, like <c>torrentlab tracker</c>.</summary>
internal static class LabSwarmCommand
{
    private const int MaxPeers = 64; // each peer is a listener and a task; a classroom needs a handful

    // The faulty peers --faults adds, by the name a user types.
    private static readonly Dictionary<string, SyntheticBehaviour> FaultKinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["choke"] = SyntheticBehaviour.ChokesMidPiece,
        ["corrupt"] = SyntheticBehaviour.CorruptBlock,
        ["slow"] = SyntheticBehaviour.Slow,
        ["never-unchoke"] = SyntheticBehaviour.NeverUnchokes,
        ["disconnect"] = SyntheticBehaviour.DisconnectsAfterBlocks,
    };

    public static Command Create()
    {
        var peers = new Option<int>("--peers") { Description = "Honest seeders to start", DefaultValueFactory = _ => 3 }.InRange(0, MaxPeers);
        var faults = new Option<string[]>("--faults")
        {
            Description = $"Add faulty seeders: {string.Join(", ", FaultKinds.Keys)} (comma-separated; alone: choke, corrupt, slow)",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var payloadSize = new Option<long>("--payload-size")
        {
            Description = "Bytes of generated payload, e.g. 1048576 or 1M",
            DefaultValueFactory = _ => 1024 * 1024,
            CustomParser = ParseSize,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Folder for the .torrent file [default: a new temp folder]" }.FolderNotFile();
        var port = new Option<int>("--port") { Description = "Tracker port (0 picks a free one)", DefaultValueFactory = _ => 0 }.Port();
        var seed = new Option<int?>("--seed") { Description = "Seed of the generated payload (same seed, same torrent)" };
        var command = new Command("swarm", "Start a loopback swarm (tracker + synthetic seeders) to explore with any client, until Ctrl-C.")
        {
            peers, faults, payloadSize, output, port, seed,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var count = parse.GetValue(peers);
            if (count is < 0 or > MaxPeers) throw new UsageException($"--peers must be between 0 and {MaxPeers}, got {count}");
            var portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535) throw new UsageException($"--port must be between 0 and 65535, got {portValue}");
            var behaviours = Enumerable.Repeat(SyntheticBehaviour.Normal, count).Concat(Faults(parse.GetResult(faults), parse.GetValue(faults))).ToList();
            if (behaviours.Count == 0) throw new UsageException("a swarm needs at least one peer: give --peers or --faults");
            var size = parse.GetValue(payloadSize);
            if (size is < 1 or > LabTorrent.MaxPayloadSize) throw new UsageException($"--payload-size must be 1 byte to 1G, got {size}");
            var ownFolder = parse.GetValue(output) is null;   // a temp folder of our own is removed when the swarm stops
            var folder = parse.GetValue(output) ?? Path.Combine(Path.GetTempPath(), $"torrentlab-swarm-{Guid.NewGuid():N}"[..31]);
            var seedValue = parse.GetValue(seed) ?? LabCheckOptions.NewSeed();
            var metadataId = (byte)new Random(seedValue).Next(17, 251);   // not 1, 2, 3 or 16: a hard-coded id shows

            await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
            {
                Random = new Random(seedValue),
                Folder = Path.GetFullPath(folder),
                Behaviours = behaviours,
                PayloadSize = size,
                TrackerPort = portValue,
                MaxConnectionsPerPeer = 64,
                MetadataExtensionId = metadataId,   // the magnet stages: every peer serves the metadata (BEP 9)
                OnLog = line => Console.Out.WriteLine(line),
            }, ct).ConfigureAwait(false);
            var t = swarm.Torrent.Torrent;
            Console.Out.WriteLine($"torrent:  {swarm.Torrent.Path}");
            Console.Out.WriteLine($"          {t.Name}, {t.TotalLength} bytes, {t.PieceCount} pieces of {t.PieceLength}, info hash {t.InfoHash.Hex} (seed {seedValue})");
            Console.Out.WriteLine($"tracker:  {swarm.Tracker.HttpAnnounceUrl}  (also {swarm.Tracker.UdpAnnounceUrl})");
            Console.Out.WriteLine($"magnet:   {swarm.Torrent.MagnetLink}  (peers receive ut_metadata on id {metadataId})");
            foreach (var peer in swarm.Peers) Console.Out.WriteLine($"peer:     {peer.EndPoint}  {peer.Behaviour}  peer id {peer.PeerId.Hex}");
            Console.Out.WriteLine("Try: torrentlab peers <torrent>, or your own client. Ctrl-C stops the swarm.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.Out.WriteLine("swarm stopped");
            }
            if (ownFolder) Directory.Delete(folder, recursive: true);
            return ExitCodes.Ok;
        });
    }

    private static IEnumerable<SyntheticBehaviour> Faults(OptionResult? given, string[]? names)
    {
        if (given is null) return [];
        var kinds = (names ?? []).SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (kinds.Count == 0) return [SyntheticBehaviour.ChokesMidPiece, SyntheticBehaviour.CorruptBlock, SyntheticBehaviour.Slow];
        return kinds.Select(k => FaultKinds.TryGetValue(k, out var b) ? b
            : throw new UsageException($"--faults: unknown fault '{k}'; the faults are {string.Join(", ", FaultKinds.Keys)}")).ToList();
    }

    private static long ParseSize(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value.Trim();
        var multiplier = text.Length == 0 ? 1 : char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        var digits = multiplier == 1 ? text : text[..^1];
        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= LabTorrent.MaxPayloadSize / multiplier)
            return value * multiplier;
        result.AddError($"--payload-size must be a number of bytes such as 1048576 or 1M, got '{text}'");
        return 0;
    }
}
