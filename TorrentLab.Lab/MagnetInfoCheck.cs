namespace TorrentLab.Lab;

/// <summary>Magnet info: <c>magnet_info "&lt;link&gt;"</c> must fetch the info dictionary from the swarm's peers with
/// ut_metadata (BEP 9), check it against the info hash and print what <c>info</c> prints (judged by
/// <see cref="InfoCheck.JudgeAll"/>).</summary>
/// <remarks>Two runs: a small torrent whose metadata is one 16 KiB piece, and one whose metadata takes two (the second
/// shorter). With <c>--faults</c> the tracker lists three peers, always in this order: one that corrupts every metadata
/// piece it sends, one that rejects every request, and an honest one that has no metadata (and rejects) until the
/// corrupting peer has sent its first piece. So whichever peer a program asks first, the first metadata it can get is
/// corrupt: a program that skips the hash check fails on every seed, and one that goes through the list in order also
/// meets the rejecting peer before the honest one.</remarks>
internal static class MagnetInfoCheck
{
    // Once the peers' log proves the mistake, the program gets this long to finish anyway before it is stopped.
    private static readonly TimeSpan GraceAfterEvidence = TimeSpan.FromSeconds(2);

    public static async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var ran = "";
        foreach (var large in new[] { false, true })
        {
            var result = await RunOnceAsync(context, large, ct).ConfigureAwait(false);
            if (!result.Passed) return result;
            ran = result.Ran;
        }
        return StageResult.Pass(context.Runs, ran);
    }

    private static async Task<StageResult> RunOnceAsync(StageContext context, bool large, CancellationToken ct)
    {
        var metadataId = MagnetCheck.MetadataId(context);
        using var stopEarly = new CancellationTokenSource();
        var folder = Directory.CreateDirectory(context.PathFor($"run{context.Runs + 1}")).FullName;
        var behaviours = context.Options.Faults
            ? new[] { SyntheticBehaviour.CorruptMetadata, SyntheticBehaviour.RejectMetadata, SyntheticBehaviour.Normal }
            : [SyntheticBehaviour.Normal, SyntheticBehaviour.Normal];
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = context.Random, Folder = folder, Behaviours = behaviours, Trace = true, MetadataExtensionId = metadataId,
            MakeTorrent = large ? announce => LabTorrent.GenerateWithLargeInfo(context.Random, folder, announce) : null,
            // The honest peer gets the metadata only once the corrupting one has sent some (LabSwarm releases it).
            ConfigurePeer = (options, behaviour, _) =>
                context.Options.Faults && behaviour == SyntheticBehaviour.Normal ? options with { LateMetadata = true } : options,
            // Without the extension bit no metadata comes, and a request under an id the peer never gave is never
            // answered: no need to wait for the time limit.
            OnLog = line =>
            {
                if (line.Contains(PeerLog.UnassignedId, StringComparison.Ordinal) || line.Contains(PeerLog.NoExtensionBit, StringComparison.Ordinal))
                    MagnetCheck.TryCancelAfter(stopEarly, GraceAfterEvidence);
            },
        }, ct).ConfigureAwait(false);

        var run = await context.RunAsync(["magnet_info", swarm.Torrent.MagnetLink], ct, stopEarly.Token).ConfigureAwait(false);
        var verdict = InfoCheck.JudgeAll(swarm.Torrent, run.Stdout, magnet: true);
        var seeder = TrackerEvidence.SeederAnnounceHint(swarm);
        if (verdict is null && run.Succeeded && seeder is null) return StageResult.Pass(context.Runs, run.CommandLine);
        if (verdict is null && seeder is null) return StageResult.RightOutputWrongEnd(context.Runs, run, "the same lines and exit code 0");

        var t = swarm.Torrent.Torrent;
        var expected = verdict?.Expected ?? (run.Succeeded && seeder is not null ? "an announce with a positive 'left' (the lines printed were right)"
            : $"exit code 0 (the lines printed were right for {t.Name})");
        var url = MagnetCheck.Value(run.Stdout, "Tracker URL");
        var evidence = MagnetEvidence.Hint(swarm, metadataId, run, fetchedMetadata: true);
        var hint = evidence
            ?? TrackerEvidence.Hint(swarm, magnet: true)
            ?? (verdict is null ? seeder : null)
            ?? (url is not null && url.Contains("%3A", StringComparison.OrdinalIgnoreCase) ? "print the tracker URL percent-decoded, as magnet_parse does" : null)
            ?? (run.TimedOut ? "your program did not finish in time: after the extension handshakes, send one ut_metadata request " +
                "per piece ({'msg_type': 0, 'piece': i}) and read messages until a data message (msg_type 1) answers each" : null)
            ?? verdict?.Hint
            ?? (run.Succeeded ? null : "your program failed: read the error above and the peers' log below");
        return StageResult.Fail(context.Runs, run.CommandLine, expected, $"{run.StdoutShown}\n({run.Outcome})", hint,
            PeerEvidence.Lines(swarm, context.Options.Trace)) with { HintStandsOnTimeout = evidence is not null };
    }
}
