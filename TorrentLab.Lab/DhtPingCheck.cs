namespace TorrentLab.Lab;

/// <summary>DHT ping: <c>dht ping &lt;ip:port&gt;</c> must send a KRPC ping (BEP 5) to a synthetic node and print
/// <c>Node ID: &lt;40 hex&gt;</c>, the id in its answer. With <c>--faults</c> the node ignores the first ping, as a lost
/// datagram would be: the program must resend after a timeout.</summary>
internal static class DhtPingCheck
{
    public static async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var behaviour = context.Options.Faults ? SyntheticDhtBehaviour.DropsFirst : SyntheticDhtBehaviour.Normal;
        // --strict: the node first answers under another 't' with a decoy id; only a client that checks 't' prints the right one.
        await using var dht = LabDht.Single(context.Random, behaviour, decoy: context.Options.Strict && context.Options.Faults);
        var node = dht.Bootstrap;
        var run = await context.RunAsync(["dht", "ping", node.EndPoint.ToString()], ct).ConfigureAwait(false);
        var expected = $"Node ID: {node.Id.Hex}";
        var printed = run.Stdout.Replace("\r", "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Node ID:", StringComparison.Ordinal));
        if (run.Succeeded && printed == expected) return StageResult.Pass(context.Runs, run.CommandLine);
        if (printed == expected) return StageResult.RightOutputWrongEnd(context.Runs, run, expected);

        var hint = DhtEvidence.Hint(dht) ?? OutputHint(printed?["Node ID:".Length..].Trim(), dht, run);
        return StageResult.Fail(context.Runs, run.CommandLine, expected, $"{run.StdoutShown}\n({run.Outcome})", hint, DhtEvidence.Lines(dht));
    }

    private static string? OutputHint(string? printed, LabDht dht, StudentRun run)
    {
        var node = dht.Bootstrap;
        if (node.DecoyFirst && printed is not null && printed.Equals(node.DecoyId.Hex, StringComparison.OrdinalIgnoreCase))
            return "(--strict) you printed the id of an answer whose 't' was not your query's: the node sent that one first; " +
                "BEP 5 pairs an answer with its query by the transaction id, so compare 't' and keep reading until it matches";
        if (node.Received == 0)
            return run.Succeeded || !run.TimedOut
                ? "the node received nothing: send one UDP datagram to the address given (does your program implement 'dht ping'?)"
                : "the node received nothing before the time limit: send the ping as one UDP datagram";
        if (node.Behaviour == SyntheticDhtBehaviour.DropsFirst && node.Received == 1)
            return "the node never got a second ping: UDP loses datagrams, so wait a second or two for the answer and send the ping again";
        if (printed is null)
            return run.TimedOut ? "your program did not finish: read one datagram back (the node answers to the address and port you sent from)"
                : "print a line 'Node ID: <40 hex digits>'";
        var asked = dht.Log.Select(l => l.IndexOf("id=", StringComparison.Ordinal) is var i and >= 0 ? l[(i + 3)..(i + 11)] : null)
            .FirstOrDefault(l => l is not null);
        if (asked is not null && printed.StartsWith(asked, StringComparison.Ordinal))
            return "that is your own node id: print the 'id' inside the answer's 'r' dictionary";
        if (printed.Length != 40) return "print the 20-byte id as 40 hex digits";
        return "the node id is the 20-byte string under 'id' in the answer's 'r' dictionary, printed as hex";
    }
}
