using System.Text;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

/// <summary>Handshake: <c>handshake &lt;file.torrent&gt; &lt;ip:port&gt;</c> must exchange the 68-byte handshake with a
/// synthetic peer and print <c>Peer ID: &lt;40 hex&gt;</c>, the id that peer sent back.</summary>
internal static class HandshakeCheck
{
    public static async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = context.Random, Folder = context.Folder, Behaviours = [SyntheticBehaviour.Normal], Trace = true,
        }, ct).ConfigureAwait(false);
        var peer = swarm.Peers[0];
        var run = await context.RunAsync(["handshake", swarm.Torrent.Path, peer.EndPoint.ToString()], ct).ConfigureAwait(false);
        var expected = $"Peer ID: {peer.PeerId.Hex}";
        var printed = run.Stdout.Replace("\r", "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Peer ID:", StringComparison.Ordinal));
        if (run.Succeeded && printed == expected) return StageResult.Pass(context.Runs, run.CommandLine);
        if (printed == expected) return StageResult.RightOutputWrongEnd(context.Runs, run, expected);

        var hint = PeerLogHint(swarm) ?? OutputHint(printed?["Peer ID:".Length..].Trim(), swarm, run);
        return StageResult.Fail(context.Runs, run.CommandLine, expected, $"{run.StdoutShown}\n({run.Outcome})", hint,
            PeerEvidence.Lines(swarm, context.Options.Trace));
    }

    private static string? PeerLogHint(LabSwarm swarm)
    {
        var ended = swarm.Log.FirstOrDefault(l => l.Contains(" ended: ", StringComparison.Ordinal) || l.Contains("timed out in the handshake", StringComparison.Ordinal));
        if (ended is null) return null;
        if (ended.Contains("timed out in the handshake", StringComparison.Ordinal))
            return "the peer waited for your whole 68-byte handshake and it never came: send all 68 bytes at once (1 + 19 + 8 + 20 + 20)";
        if (ended.Contains("protocol name length", StringComparison.Ordinal) || ended.Contains("expected protocol", StringComparison.Ordinal))
            return "the handshake starts with the byte 19 and then the 19 characters 'BitTorrent protocol'";
        if (ended.Contains("info hash", StringComparison.Ordinal))
        {
            var hex = swarm.Torrent.Torrent.InfoHash.Hex;
            return ended.Contains(Convert.ToHexStringLower(Encoding.ASCII.GetBytes(hex[..20])), StringComparison.Ordinal)
                ? "you sent the info hash as hex text: bytes 28-47 of the handshake are the 20 raw bytes of the SHA-1"
                : "bytes 28-47 of the handshake are the torrent's info hash (20 raw bytes), after 8 reserved zero bytes";
        }
        return null;
    }

    private static string? OutputHint(string? printed, LabSwarm swarm, StudentRun run)
    {
        if (printed is null && !run.Succeeded && !swarm.Log.Any(l => l.Contains("accepted connection", StringComparison.Ordinal)))
            return "your program failed before it connected to the peer: read the error above (does it implement 'handshake'?)";
        if (printed is null)
            return run.Succeeded ? "print a line 'Peer ID: <40 hex digits>'" : run.TimedOut
                ? "your program did not finish: the peer answers with exactly 68 bytes; read 68 bytes, not until the connection closes"
                : "your program failed: read the error above";
        if (printed.Equals(swarm.Peers[0].PeerId.Hex, StringComparison.OrdinalIgnoreCase))
            return "print the peer id in lowercase hex (you printed upper-case letters)";
        if (printed == swarm.Torrent.Torrent.InfoHash.Hex)
            return "that is the info hash: the peer id is the last 20 bytes (48-67) of the peer's handshake";
        var ours = swarm.Trace.Select(l => l.IndexOf("<- handshake", StringComparison.Ordinal) is var i and >= 0 ? l[i..] : null)
            .FirstOrDefault(l => l is not null);
        if (ours is not null && ours.Contains($"peer_id={printed}", StringComparison.Ordinal))
            return "that is your own peer id: print the one in the handshake the peer sent back";
        if (printed.Length != 40) return "print the 20-byte peer id as 40 hex digits";
        return "the peer id is bytes 48-67 of the handshake the peer sends back, printed as hex";
    }
}
