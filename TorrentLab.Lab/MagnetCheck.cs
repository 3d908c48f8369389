using System.Globalization;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

/// <summary>The first two magnet stages: <c>magnet_parse "&lt;link&gt;"</c> must print the link's tracker URL and info
/// hash; <c>magnet_handshake "&lt;link&gt;"</c> must announce, handshake with the BEP 10 bit, exchange extension
/// handshakes and print the peer's id and the id the PEER receives ut_metadata on.</summary>
/// <remarks>The peers pick their ut_metadata id at random for each run (17..250, never the 1, 2, 3 or 16 a
/// student might hard-code), so a program that prints or uses a fixed id fails.</remarks>
internal static class MagnetCheck
{
    private const int LinksPerParse = 3;

    // Once the peers' log proves the mistake, the program gets this long to finish anyway before it is stopped.
    private static readonly TimeSpan GraceAfterEvidence = TimeSpan.FromSeconds(2);

    /// <summary>The ut_metadata id the peers of one run receive on.</summary>
    public static byte MetadataId(StageContext context) => (byte)context.Random.Next(17, 251);

    /// <summary>Magnet parse: three links, the first in the usual order (xt, dn, tr), the second reversed, the third with an
    /// extra parameter (xl, the length) and the order shuffled by the seed: a parser that takes parameters by position
    /// passes the first and fails a later one.</summary>
    public static async Task<StageResult> ParseAsync(StageContext context, CancellationToken ct)
    {
        var ran = "";
        for (var i = 0; i < LinksPerParse; i++)
        {
            // No tracker is contacted: the URL only has to be read back, percent-decoded.
            var port = context.Random.Next(10_000, 60_000);
            var torrent = LabTorrent.Generate(context.Random, context.PathFor($"torrent{i}"), $"http://127.0.0.1:{port}/announce");
            var t = torrent.Torrent;
            List<(string Name, string Value)> parameters =
                [("xt", $"urn:btih:{t.InfoHash.Hex}"), ("dn", Uri.EscapeDataString(t.Name)), ("tr", Uri.EscapeDataString(t.Announce!))];
            if (i == 1) parameters.Reverse();
            if (i == 2)
            {
                parameters.Add(("xl", t.TotalLength.ToString(CultureInfo.InvariantCulture)));
                context.Random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(parameters));
                // Never xt first and tr last again, the first link's places: then swap the two.
                if (parameters[0].Name == "xt" && parameters[^1].Name == "tr") (parameters[0], parameters[^1]) = (parameters[^1], parameters[0]);
            }
            var link = "magnet:?" + string.Join('&', parameters.Select(p => $"{p.Name}={p.Value}"));
            var run = await context.RunAsync(["magnet_parse", link], ct).ConfigureAwait(false);
            ran = run.CommandLine;
            var url = Value(run.Stdout, "Tracker URL");
            var hash = Value(run.Stdout, "Info Hash");
            var expected = $"Tracker URL: {t.Announce}\nInfo Hash: {t.InfoHash.Hex}";
            if (url == t.Announce && hash == t.InfoHash.Hex)
            {
                if (run.Succeeded) continue;
                return StageResult.RightOutputWrongEnd(context.Runs, run, expected);
            }

            string? hint = (i > 0 ? PositionalHint(parameters, url, hash, run) : null)
                ?? (url is null ? "print a line 'Tracker URL: <the value of tr>'"
                : url.Contains("%3A", StringComparison.OrdinalIgnoreCase) ? "the tr value is percent-encoded (%3A is ':', %2F is '/'): decode it before printing"
                : url != t.Announce ? "the tracker URL is the value of the 'tr' parameter; split the query at '&' and each pair at the first '=', in any order"
                : hash is null ? "print a line 'Info Hash: <40 hex digits>'"
                : hash.StartsWith("urn:", StringComparison.Ordinal) ? "xt is 'urn:btih:' followed by the info hash: print only the 40 hex digits after it"
                : hash != t.InfoHash.Hex && hash.Equals(t.InfoHash.Hex, StringComparison.OrdinalIgnoreCase) ? "print the info hash in lowercase hex (you printed upper-case letters)"
                : hash != t.InfoHash.Hex ? "the info hash is the part of 'xt' after 'urn:btih:'; the parameters may come in any order"
                : run.Succeeded ? null : "your program failed: read the error above");
            return StageResult.Fail(context.Runs, run.CommandLine, expected, $"{run.StdoutShown}\n({run.Outcome})", hint);
        }
        return StageResult.Pass(context.Runs, ran);
    }

    /// <summary>The first link (xt, dn, tr) was right and this one, in another order, is not: the program read what stood
    /// where tr and xt stand in the first (it printed another parameter's value, or failed, or printed nothing).</summary>
    private static string? PositionalHint(IReadOnlyList<(string Name, string Value)> parameters, string? url, string? hash, StudentRun run)
    {
        var order = string.Join(", ", parameters.Select(p => p.Name));
        string? Owner(string? printed) => printed is null ? null : parameters.FirstOrDefault(p =>
            p.Value == printed || Uri.UnescapeDataString(p.Value) == printed || (p.Name == "xt" && p.Value.EndsWith(printed, StringComparison.Ordinal)) || $"{p.Name}={p.Value}" == printed).Name;
        var urlOwner = Owner(url);
        var hashOwner = Owner(hash);
        var took = urlOwner is not null && urlOwner != "tr" ? $"you printed the value of '{urlOwner}' as the tracker URL"
            : hashOwner is not null && hashOwner != "xt" ? $"you printed the value of '{hashOwner}' as the info hash"
            : url is null || hash is null ? (run.Succeeded ? "you printed no tracker URL or info hash" : "your program failed")
            : null;
        return took is null ? null
            : $"the first link (parameters in the order xt, dn, tr) was right, but this one has them in the order {order} and {took}: " +
              "a magnet link's parameters come in any order, and more may come (xl, x.pe, ws, several tr): split the query at '&', " +
              "each pair at the first '=', and look each up by its name";
    }

    /// <summary>Magnet handshake: one metadata-serving peer behind our tracker.</summary>
    public static async Task<StageResult> HandshakeAsync(StageContext context, CancellationToken ct)
    {
        var metadataId = MetadataId(context);
        using var stopEarly = new CancellationTokenSource();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = context.Random, Folder = context.Folder, Behaviours = [SyntheticBehaviour.Normal], Trace = true,
            MetadataExtensionId = metadataId,
            OnLog = line => { if (line.Contains(PeerLog.NoExtensionBit, StringComparison.Ordinal)) TryCancelAfter(stopEarly, GraceAfterEvidence); },
        }, ct).ConfigureAwait(false);
        var peer = swarm.Peers[0];
        var run = await context.RunAsync(["magnet_handshake", swarm.Torrent.MagnetLink], ct, stopEarly.Token).ConfigureAwait(false);
        var expected = $"Peer ID: {peer.PeerId.Hex}\nPeer Metadata Extension ID: {metadataId}";
        var printedPeer = Value(run.Stdout, "Peer ID");
        var printedId = Value(run.Stdout, "Peer Metadata Extension ID");
        var right = run.Succeeded && printedPeer == peer.PeerId.Hex && printedId == metadataId.ToString(CultureInfo.InvariantCulture);
        // The program may exit as soon as it printed; give the peer a moment to read the extension handshake it sent.
        var sentTheirs = right && await WaitForAsync(swarm, PeerLog.ReceivedExtensionHandshake, ct).ConfigureAwait(false);
        var seeder = TrackerEvidence.SeederAnnounceHint(swarm);
        if (right && sentTheirs && seeder is null) return StageResult.Pass(context.Runs, run.CommandLine);
        if (!run.Succeeded && printedPeer == peer.PeerId.Hex && printedId == metadataId.ToString(CultureInfo.InvariantCulture) && seeder is null)
            return StageResult.RightOutputWrongEnd(context.Runs, run, expected);

        var hint = right && sentTheirs ? seeder
            : right
            ? "you printed the right lines but never sent your own extension handshake: send one (message id 20, extended id 0, " +
              "a bencoded dictionary with 'm': {'ut_metadata': <your id>}) right after the BEP 3 handshake"
            : MagnetEvidence.Hint(swarm, metadataId, run, fetchedMetadata: false) ?? TrackerEvidence.Hint(swarm, magnet: true)
              ?? OutputHint(swarm, metadataId, printedPeer, printedId, run);
        return StageResult.Fail(context.Runs, run.CommandLine, expected + "\n(and your extension handshake sent to the peer, after an announce with a positive 'left')",
            $"{run.StdoutShown}\n({run.Outcome})", hint, PeerEvidence.Lines(swarm, context.Options.Trace));
    }

    private static string? OutputHint(LabSwarm swarm, byte metadataId, string? printedPeer, string? printedId, StudentRun run)
    {
        if (swarm.Log.FirstOrDefault(l => l.Contains(" ended: extension handshake", StringComparison.Ordinal)) is { } bad)
            return $"the peer could not read your extension handshake ({bad[(bad.IndexOf("extension handshake", StringComparison.Ordinal) + 21)..]}): " +
                "its payload is one bencoded dictionary after the extended id 0";
        if (printedId is null)
            return run.Succeeded ? "print a line 'Peer Metadata Extension ID: <n>', n from m['ut_metadata'] of the peer's extension handshake"
                : run.TimedOut ? "your program did not finish: after the handshakes, read messages (length, id) until one has id 20 and " +
                    "extended id 0; the bitfield (id 5) may come before or after it"
                : "your program failed: read the error above and the peer's log below";
        if (MagnetEvidence.OwnMetadataId(swarm.Log) is { } own && printedId == own.ToString(CultureInfo.InvariantCulture))
            return $"that is your own ut_metadata id: print the one from the PEER's extension handshake ({metadataId} in this run)";
        if (printedId != metadataId.ToString(CultureInfo.InvariantCulture))
            return $"the peer chose ut_metadata id {metadataId} in this run: read it from the 'm' dictionary of its extension handshake; ids differ from peer to peer";
        if (printedPeer != swarm.Peers[0].PeerId.Hex && printedPeer?.Equals(swarm.Peers[0].PeerId.Hex, StringComparison.OrdinalIgnoreCase) == true)
            return "print the peer id in lowercase hex (you printed upper-case letters)";
        if (printedPeer != swarm.Peers[0].PeerId.Hex)
            return "the peer id is the last 20 bytes (48-67) of the peer's BEP 3 handshake, printed as 40 hex digits";
        return run.Succeeded ? null : "your program failed after printing: exit with code 0";
    }

    /// <summary>Waits (at most 5 s: a loaded machine may run the peer's task late) until a peer logged <paramref name="phrase"/>.</summary>
    private static async Task<bool> WaitForAsync(LabSwarm swarm, string phrase, CancellationToken ct)
    {
        for (var i = 0; i < 100; i++)
        {
            if (swarm.Log.Any(l => l.Contains(phrase, StringComparison.Ordinal))) return true;
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>The value after <c>label:</c> on the first stdout line that starts with it, or null.</summary>
    internal static string? Value(string stdout, string label) =>
        stdout.Replace("\r", "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(label + ":", StringComparison.Ordinal)) is { } line
            ? line[(label.Length + 1)..].Trim() : null;

    internal static void TryCancelAfter(CancellationTokenSource source, TimeSpan delay)
    {
        try { source.CancelAfter(delay); }
        catch (ObjectDisposedException) { /* the run is over; nothing left to stop */ }
    }
}
