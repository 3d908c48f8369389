namespace TorrentLab.Lab;

/// <summary>Magnet info: <c>magnet_info "&lt;link&gt;"</c> must fetch the info dictionary from the swarm's peers with
/// ut_metadata (BEP 9), check it against the info hash and print what <c>info</c> prints (judged by
/// <see cref="InfoCheck.JudgeAll"/>).</summary>
/// <remarks>Two runs: a small torrent whose metadata is one 16 KiB piece, and one whose metadata takes two (the second
/// shorter). With <c>--faults</c> the swarm also holds two peers that corrupt every metadata piece they send and one
/// that rejects every request; since the tracker hands out peers in random order, a run in which the program never met a
/// corrupting peer is repeated (a few times at most) so that a program that trusts unverified metadata shows it.</remarks>
internal static class MagnetInfoCheck
{
    // A trusting program meets a corrupting peer first with probability 2/3 per run (two of the three peers that answer
    // requests corrupt), so it slips through all six runs of both cases with odds of (1/3)^12: about 1 in 500,000.
    private const int ExtraRunsToMeetTheCorruptPeer = 5;

    // Once the peers' log proves the mistake, the program gets this long to finish anyway before it is stopped.
    private static readonly TimeSpan GraceAfterEvidence = TimeSpan.FromSeconds(2);

    public static async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var ran = "";
        foreach (var large in new[] { false, true })
        {
            for (var attempt = 0; attempt <= ExtraRunsToMeetTheCorruptPeer; attempt++)
            {
                var (result, metCorruptPeer) = await RunOnceAsync(context, large, ct).ConfigureAwait(false);
                if (!result.Passed) return result;
                ran = result.Ran;
                if (!context.Options.Faults || metCorruptPeer) break;
            }
        }
        return StageResult.Pass(context.Runs, ran);
    }

    private static async Task<(StageResult Result, bool MetCorruptPeer)> RunOnceAsync(StageContext context, bool large, CancellationToken ct)
    {
        var metadataId = MagnetCheck.MetadataId(context);
        using var stopEarly = new CancellationTokenSource();
        var folder = Directory.CreateDirectory(context.PathFor($"run{context.Runs + 1}")).FullName;
        var behaviours = context.Options.Faults
            ? new[] { SyntheticBehaviour.CorruptMetadata, SyntheticBehaviour.CorruptMetadata, SyntheticBehaviour.RejectMetadata, SyntheticBehaviour.Normal }
            : [SyntheticBehaviour.Normal, SyntheticBehaviour.Normal];
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = context.Random, Folder = folder, Behaviours = behaviours, Trace = true, MetadataExtensionId = metadataId,
            MakeTorrent = large ? announce => LabTorrent.GenerateWithLargeInfo(context.Random, folder, announce) : null,
            // Without the extension bit no metadata comes, and a request under an id the peer never gave is never
            // answered: no need to wait for the time limit.
            OnLog = line =>
            {
                if (line.Contains(PeerLog.UnassignedId, StringComparison.Ordinal) || line.Contains(PeerLog.NoExtensionBit, StringComparison.Ordinal))
                    MagnetCheck.TryCancelAfter(stopEarly, GraceAfterEvidence);
            },
        }, ct).ConfigureAwait(false);

        var run = await context.RunAsync(["magnet_info", swarm.Torrent.MagnetLink], ct, stopEarly.Token).ConfigureAwait(false);
        var metCorruptPeer = swarm.Log.Any(l => l.Contains(PeerLog.MetadataCorrupted, StringComparison.Ordinal));
        var verdict = InfoCheck.JudgeAll(swarm.Torrent, run.Stdout);
        if (verdict is null && run.Succeeded) return (StageResult.Pass(context.Runs, run.CommandLine), metCorruptPeer);

        var t = swarm.Torrent.Torrent;
        var expected = verdict?.Expected ?? $"exit code 0 (the lines printed were right for {t.Name})";
        var url = MagnetCheck.Value(run.Stdout, "Tracker URL");
        var hint = MagnetEvidence.Hint(swarm, metadataId, fetchedMetadata: true)
            ?? TrackerEvidence.Hint(swarm)
            ?? (url is not null && url.Contains("%3A", StringComparison.OrdinalIgnoreCase) ? "print the tracker URL percent-decoded, as magnet_parse does" : null)
            ?? (run.TimedOut ? "your program did not finish in time: after the extension handshakes, send one ut_metadata request " +
                "per piece ({'msg_type': 0, 'piece': i}) and read messages until a data message (msg_type 1) answers each" : null)
            ?? verdict?.Hint
            ?? (run.Succeeded ? null : "your program failed: read the error above and the peers' log below");
        return (StageResult.Fail(context.Runs, run.CommandLine, expected, $"{run.StdoutShown}\n({run.Outcome})", hint,
            PeerEvidence.Lines(swarm, context.Options.Trace)), metCorruptPeer);
    }
}
