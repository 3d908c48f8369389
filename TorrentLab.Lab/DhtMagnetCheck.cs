using TorrentLab.Dht;

namespace TorrentLab.Lab;

/// <summary>DHT magnet download: <c>magnet_download -o &lt;path&gt; "magnet:?xt=urn:btih:&lt;hash&gt;" --dht-bootstrap
/// &lt;ip:port&gt;</c>. The link names no tracker and no peer: the program must walk the checker's chain of synthetic
/// DHT nodes from the bootstrap node to the node whose <c>values</c> are the seeders (stage 18), fetch the metadata
/// from them with ut_metadata (stage 14), then download the whole file (stage 16). With <c>--faults</c> the bootstrap
/// node also hands out a silent node and one that answers garbage.</summary>
internal static class DhtMagnetCheck
{
    public static async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var metadataId = MagnetCheck.MetadataId(context);
        var folder = Directory.CreateDirectory(context.PathFor($"run{context.Runs + 1}")).FullName;
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = context.Random, Folder = folder, Behaviours = [SyntheticBehaviour.Normal, SyntheticBehaviour.Normal],
            Trace = true, MetadataExtensionId = metadataId,
        }, ct).ConfigureAwait(false);
        var torrent = swarm.Torrent;
        await using var dht = LabDht.Chained(context.Random, context.Options.Faults, new NodeId(torrent.Torrent.InfoHash.Bytes),
            [.. swarm.Peers.Select(p => p.EndPoint)]);
        var output = Path.Combine(folder, torrent.Torrent.Name);
        var link = $"magnet:?xt=urn:btih:{torrent.Torrent.InfoHash.Hex}"; // no 'tr', no 'x.pe': only the DHT knows the peers
        var run = await context.RunAsync(["magnet_download", "-o", output, link, "--dht-bootstrap", dht.Bootstrap.EndPoint.ToString()], ct)
            .ConfigureAwait(false);

        var written = File.Exists(output) ? await File.ReadAllBytesAsync(output, ct).ConfigureAwait(false) : null;
        if (written is not null && written.AsSpan().SequenceEqual(torrent.Payload))
            return run.Succeeded ? StageResult.Pass(context.Runs, run.CommandLine)
                : StageResult.RightOutputWrongEnd(context.Runs, run, $"{output}: the whole file, and exit code 0") with { Actual = $"{output}: the whole file, right\n({run.Outcome})" };

        var expected = $"{output}: the whole file ({torrent.Torrent.PieceCount} pieces), {torrent.Payload.Length} bytes, and exit code 0";
        var actual = (written is null ? $"{output}: no file" : $"{output}: {written.Length} bytes") + $"\n({run.Outcome})";
        var hint = DhtEvidence.Hint(dht) ?? StartHint(dht) ?? DhtEvidence.LookupHint(dht) ?? PeersHint(swarm)
            ?? DownloadPeersHint(swarm, written, run) ?? MagnetEvidence.Hint(swarm, metadataId, run, fetchedMetadata: true)
            ?? DownloadDiagnosis.Explain(torrent, null, written, swarm.Log, run, faults: false);
        return StageResult.Fail(context.Runs, run.CommandLine, expected, actual, hint,
            [.. DhtEvidence.Lines(dht), .. PeerEvidence.Lines(swarm, context.Options.Trace)]);
    }

    /// <summary>The bootstrap node heard nothing: the program looked for a tracker, or never used --dht-bootstrap.</summary>
    private static string? StartHint(LabDht dht) => dht.Bootstrap.Received > 0 ? null
        : "the bootstrap node received nothing: this magnet link names no tracker ('tr') and no peer ('x.pe'), so its peers are " +
          "in the DHT: send get_peers for the info hash to the node given with --dht-bootstrap, follow the closer 'nodes' " +
          "until an answer carries 'values', and those are the peers to fetch the metadata from";

    /// <summary>The metadata arrived whole, yet no block was ever requested and no file written.</summary>
    private static string? DownloadPeersHint(LabSwarm swarm, byte[]? written, StudentRun run) =>
        written is not null || run.TimedOut || !MagnetEvidence.ServedEveryMetadataPiece(swarm)
        || swarm.Trace.Any(l => l.Contains("<- request ", StringComparison.Ordinal)) ? null
        : "a seeder the DHT found sent you every metadata piece, but you never requested a block: a magnet link without a " +
          "tracker downloads from the same peers the DHT gave you (keep them after the metadata: there is no tracker to " +
          "ask), unless your program refused the metadata (its SHA-1 must equal the link's info hash)";

    /// <summary>The lookup reached the peers' node, yet no seeder was ever contacted.</summary>
    private static string? PeersHint(LabSwarm swarm) => swarm.Trace.Count > 0 ? null
        : "your lookup reached the node that holds the peers, but no peer was ever contacted: each entry of 'values' is a " +
          "6-byte compact peer (IPv4 address, then the port big-endian); connect to those over TCP, handshake with the " +
          "extension bit, and fetch the metadata with ut_metadata";
}
