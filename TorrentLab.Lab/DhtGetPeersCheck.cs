using System.Net;

namespace TorrentLab.Lab;

/// <summary>DHT get_peers: <c>dht get_peers &lt;infohash&gt; --bootstrap &lt;ip:port&gt;</c> must walk a chain of
/// synthetic nodes, each closer to the info hash (BEP 5's iterative lookup), down to the node that answers with the
/// peers in 'values', and print them <c>ip:port</c> one per line (any order). With <c>--faults</c> the bootstrap node
/// also hands out a node that never answers and one that answers garbage.</summary>
internal static class DhtGetPeersCheck
{
    public static async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        await using var dht = LabDht.Chained(context.Random, context.Options.Faults);
        var run = await context.RunAsync(["dht", "get_peers", dht.InfoHash.Hex, "--bootstrap", dht.Bootstrap.EndPoint.ToString()], ct)
            .ConfigureAwait(false);
        var expected = dht.Peers.Select(p => p.ToString()).Order(StringComparer.Ordinal).ToList();
        var printed = run.Stdout.Replace("\r", "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (printed.Order(StringComparer.Ordinal).SequenceEqual(expected))
            return run.Succeeded ? StageResult.Pass(context.Runs, run.CommandLine) : StageResult.RightOutputWrongEnd(context.Runs, run, string.Join('\n', expected));

        var hint = DhtEvidence.Hint(dht) ?? DhtEvidence.LookupHint(dht) ?? OutputHint(printed, expected, dht, run);
        return StageResult.Fail(context.Runs, run.CommandLine, string.Join('\n', expected) + "\n(one ip:port per line, any order)",
            $"{run.StdoutShown}\n({run.Outcome})", hint, DhtEvidence.Lines(dht));
    }

    private static string? OutputHint(IReadOnlyList<string> printed, IReadOnlyList<string> expected, LabDht dht, StudentRun run)
    {
        if (dht.Bootstrap.Received == 0)
            return "the bootstrap node received nothing: send it a get_peers query (one UDP datagram) first";
        var swapped = expected.Select(IPEndPoint.Parse).Select(e => $"{e.Address}:{(ushort)IPAddress.HostToNetworkOrder((short)e.Port)}").ToList();
        if (printed.Count > 0 && printed.All(swapped.Contains))
            return "a compact peer is 6 bytes: the IPv4 address, then the port big-endian (network byte order)";
        if (printed.Count > expected.Count && printed.Distinct().Order(StringComparer.Ordinal).SequenceEqual(expected))
            return $"you printed {string.Join(", ", printed.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key} {g.Count()} times"))}: " +
                "print each peer once (did you print the 'values' list again, or keep the peers of more than one answer?)";
        if (printed.Count > 0 && printed.All(expected.Contains))
            return $"the last node answered with {expected.Count} peers in 'values': print every one of them";
        var nodeAddresses = dht.Chain.Concat(dht.Faulty).Select(n => n.EndPoint.ToString()).ToHashSet();
        if (printed.Any(nodeAddresses.Contains))
            return "those are DHT nodes (from 'nodes'), not peers: print only the peers of the 'values' list";
        if (!run.Succeeded) return run.TimedOut
            ? "your program did not finish: give each query a timeout (a node may never answer) and stop once an answer carries 'values'"
            : "your program failed: read the error above (a node may answer garbage: skip it and ask the next)";
        return "print each peer of the 'values' list as ip:port, one per line, and nothing else on stdout";
    }
}
