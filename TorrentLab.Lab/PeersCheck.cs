using System.Net;

namespace TorrentLab.Lab;

/// <summary>Discover peers: <c>peers &lt;file.torrent&gt;</c> must announce to our tracker and print the synthetic
/// seeders it returns, <c>ip:port</c> one per line (in any order).</summary>
/// <remarks>The torrent's info hash always holds the bytes 0x20 and 0x2b ('+'), so a client that writes 0x20 as '+'
/// (HTML form encoding, as Python's urlencode does) is shown to be right, and one that leaves '+' unescaped is caught
/// with a hint that names the encoding.</remarks>
internal static class PeersCheck
{
    public static async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var behaviours = Enumerable.Repeat(SyntheticBehaviour.Normal, context.Random.Next(2, 5)).ToList();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = context.Random, Folder = context.Folder, Behaviours = behaviours,
            // An info hash holding 0x20 and '+' (0x2b): the bytes whose escapes differ between encoders.
            MakeTorrent = announce => LabTorrent.GenerateWithInfoHashBytes(context.Random, context.Folder, announce, 0x20, (byte)'+'),
        }, ct).ConfigureAwait(false);
        var run = await context.RunAsync(["peers", swarm.Torrent.Path], ct).ConfigureAwait(false);
        var expected = swarm.PeerAddresses.Order(StringComparer.Ordinal).ToList();
        var printed = run.Stdout.Replace("\r", "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (printed.Order(StringComparer.Ordinal).SequenceEqual(expected))
            return run.Succeeded ? StageResult.Pass(context.Runs, run.CommandLine) : StageResult.RightOutputWrongEnd(context.Runs, run, string.Join('\n', expected));

        var evidence = swarm.Log.Where(l => l.StartsWith("tracker:", StringComparison.Ordinal)).ToList();
        var hint = TrackerEvidence.Hint(swarm) ?? OutputHint(printed, expected, run);
        return StageResult.Fail(context.Runs, run.CommandLine, string.Join('\n', expected) + "\n(one ip:port per line, any order)",
            $"{run.StdoutShown}\n({run.Outcome})", hint, evidence);
    }

    private static string? OutputHint(IReadOnlyList<string> printed, IReadOnlyList<string> expected, StudentRun run)
    {
        var swapped = expected.Select(e => IPEndPoint.Parse(e)).Select(e => $"{e.Address}:{(ushort)IPAddress.HostToNetworkOrder((short)e.Port)}").ToList();
        if (printed.Count > 0 && printed.All(swapped.Contains))
            return "the port is the last 2 bytes of each 6-byte entry, big-endian (network byte order)";
        if (printed.Any(l => l.Contains("b'", StringComparison.Ordinal) || l.Contains("\\x", StringComparison.Ordinal)))
            return "'peers' is a compact string: 6 bytes per peer, 4 for the IPv4 address and 2 for the port; print them as ip:port";
        if (printed.Count > expected.Count && printed.Distinct().Order(StringComparer.Ordinal).SequenceEqual(expected))
            return $"you printed {string.Join(", ", printed.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key} {g.Count()} times"))}: " +
                "print each peer once (did you announce twice, or print inside the loop and again after it?)";
        if (printed.Count > 0 && printed.All(expected.Contains))
            return $"the tracker returned {expected.Count} peers: print every one of them";
        if (!run.Succeeded) return run.TimedOut ? "your program did not finish: is it waiting for more data from the tracker?" : "your program failed: read the error above";
        return "print each peer of the tracker's 'peers' value as ip:port, one per line, and nothing else on stdout";
    }
}
