namespace TorrentLab.Lab;

/// <summary>The evidence lines a failing peer stage shows: the tracker's and the peers' logs, and with
/// <c>--trace</c> the wire trace of every peer connection.</summary>
internal static class PeerEvidence
{
    private const int MaxTraceLines = 60; // enough to see the order of messages; the rest is counted

    public static IReadOnlyList<string> Lines(LabSwarm swarm, bool trace)
    {
        // Connection bookkeeping is noise next to what a peer refused or dropped.
        var lines = swarm.Log.Where(l => !l.Contains("accepted connection", StringComparison.Ordinal)).Take(40).ToList();
        if (!trace) return lines;
        var wire = swarm.Trace;
        lines.Add($"wire trace ({wire.Count} messages; '<-' the peer received, '->' it sent):");
        lines.AddRange(wire.Take(MaxTraceLines).Select(l => "  " + l));
        if (wire.Count > MaxTraceLines) lines.Add($"  ... {wire.Count - MaxTraceLines} more");
        return lines;
    }
}
