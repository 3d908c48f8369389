using TorrentLab.Wire;

namespace TorrentLab.Lab;

/// <summary>The two download stages: <c>download_piece -o &lt;path&gt; &lt;file.torrent&gt; &lt;index&gt;</c> (a middle piece,
/// then the shorter last one) and <c>download -o &lt;path&gt; &lt;file.torrent&gt;</c>, each against a fresh swarm of
/// synthetic seeders found through our tracker. The file written must equal the payload exactly.</summary>
/// <remarks>The seeders pause before they unchoke, so a client that requests before it sees <c>unchoke</c> shows it
/// (its requests are dropped and logged). With <c>--faults</c> the swarm also holds a peer that chokes mid-piece, one
/// that corrupts a block of the piece asked for (for the whole file, of a piece the seed picks), and a slow one; the
/// corrupting peer is the only one holding that piece until it has sent its corrupt block (the others then get it and
/// send <c>have</c>), so no client can finish without receiving the corrupt block. The seed decides the order the
/// tracker lists the peers in.</remarks>
internal static class DownloadCheck
{
    private static readonly TimeSpan UnchokeDelay = TimeSpan.FromMilliseconds(150);

    // --strict, whole file: how long the choke trap's peer stays choked. It decides only how long a client that ignores
    // the choke has to show it (a correct one waits this long once, or goes to another peer), never a verdict.
    private static readonly TimeSpan TrapChoke = TimeSpan.FromSeconds(4);

    // Once the peers' log proves the mistake, the program gets this long to finish anyway before it is stopped.
    private static readonly TimeSpan GraceAfterEvidence = TimeSpan.FromSeconds(2);

    public static Task<StageResult> PieceAsync(StageContext context, CancellationToken ct) => PieceAsync(context, magnet: false, v2: false, ct);

    public static Task<StageResult> FileAsync(StageContext context, CancellationToken ct) => FileAsync(context, magnet: false, ct);

    /// <summary>Magnet download piece: as <see cref="PieceAsync(StageContext, CancellationToken)"/>, given the torrent's
    /// magnet link instead of the .torrent file; the peers serve the metadata.</summary>
    public static Task<StageResult> MagnetPieceAsync(StageContext context, CancellationToken ct) => PieceAsync(context, magnet: true, v2: false, ct);

    /// <summary>Magnet download: the whole file from the magnet link.</summary>
    public static Task<StageResult> MagnetFileAsync(StageContext context, CancellationToken ct) => FileAsync(context, magnet: true, ct);

    /// <summary>v2 piece: one piece from a v2-only torrent's magnet link, whose metadata carries no piece layers, so the
    /// piece is verified with hashes asked of a peer (BEP 52).</summary>
    public static Task<StageResult> V2PieceAsync(StageContext context, CancellationToken ct) => PieceAsync(context, magnet: true, v2: true, ct);

    private static async Task<StageResult> PieceAsync(StageContext context, bool magnet, bool v2, CancellationToken ct)
    {
        var ran = "";
        foreach (var last in new[] { false, true })
        {
            var result = await RunOnceAsync(context, torrent =>
            {
                var count = torrent.Torrent.PieceCount;
                return last ? count - 1 : context.Random.Next(1, count - 1);   // a middle piece has two neighbours
            }, magnet, v2, ct).ConfigureAwait(false);
            if (!result.Passed) return result;
            ran = result.Ran;
        }
        return StageResult.Pass(context.Runs, ran);
    }

    private static async Task<StageResult> FileAsync(StageContext context, bool magnet, CancellationToken ct)
    {
        var result = await RunOnceAsync(context, pickPiece: null, magnet, v2: false, ct).ConfigureAwait(false);
        return result.Passed ? StageResult.Pass(context.Runs, result.Ran) : result;
    }

    /// <summary>One run against a fresh swarm: a piece when <paramref name="pickPiece"/> is given, else the whole file;
    /// with <paramref name="magnet"/>, from the magnet link (the peers serve the metadata on a random id).</summary>
    private static async Task<StageResult> RunOnceAsync(StageContext context, Func<LabTorrent, int>? pickPiece, bool magnet, bool v2, CancellationToken ct)
    {
        byte? metadataId = magnet ? MagnetCheck.MetadataId(context) : null;
        using var stopEarly = new CancellationTokenSource();
        var folder = Directory.CreateDirectory(context.PathFor($"run{context.Runs + 1}")).FullName;   // nothing left over from an earlier run
        // The piece asked for (download_piece), which is also the one the corrupting peer spoils; for the whole file,
        // the corrupting peer spoils a random piece.
        int? target = null, heldBack = null;
        var faults = context.Options.Faults;
        var strict = context.Options.Strict && faults;
        // --strict, whole file (v1): the corrupt piece is at least the third, so the choke trap below fits before it.
        var trap = strict && pickPiece is null && !v2;
        int Target(LabTorrent t) => target ??= pickPiece?.Invoke(t) ?? (trap ? context.Random.Next(2, t.Torrent.PieceCount) : context.Random.Next(t.Torrent.PieceCount));
        int HeldBack(LabTorrent t) => heldBack ??= context.Random.Next(1, Target(t));
        // v2: the forging peer is the corrupting one, in plain runs too; its forged layer is the first any client can get.
        var corrupting = v2 ? SyntheticBehaviour.ForgedLayer : SyntheticBehaviour.CorruptBlock;
        var behaviours = faults
            ? new[] { SyntheticBehaviour.ChokesMidPiece, corrupting, SyntheticBehaviour.Slow, SyntheticBehaviour.Normal }
            : v2 ? [SyntheticBehaviour.ForgedLayer, SyntheticBehaviour.Normal, SyntheticBehaviour.Normal]
            : [SyntheticBehaviour.Normal, SyntheticBehaviour.Normal];
        context.Random.Shuffle(behaviours);   // the peers announce, and the tracker lists them, in this order
        // --strict (v1 and magnet): the first peer listed never has the piece asked for; its bitfield says so, and a client
        // that asks it anyway breaks the rule BEP 3's bitfield is for (its connection is closed; the strict grade fails it).
        // For the whole file, a peer listed before it holds back one piece (before the corrupt one) and announces it only
        // right after a choke: a request for that piece before its unchoke proves the choke was read and ignored.
        if (strict && !v2) behaviours = [SyntheticBehaviour.LacksPiece, .. behaviours];
        if (trap) behaviours = [SyntheticBehaviour.ChokesBeforeHave, .. behaviours];
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = context.Random, Folder = folder, Behaviours = behaviours, Trace = true, UnchokeDelay = UnchokeDelay,
            MetadataExtensionId = metadataId,
            MakeTorrent = v2 ? announce => LabTorrent.GenerateV2(context.Random, folder, announce) : null,
            // Runs in the peers' tasks: once a log line proves a mistake that cannot heal, stop waiting for the time limit.
            OnLog = line => { if (PeerLog.IsFatal(line)) TryCancelAfter(stopEarly, GraceAfterEvidence); },
            // v2: the others have neither the piece nor the layer until the forger has sent its forged layer, so every
            // client meets that layer first (and a client that skips the root check takes the forger's corrupt piece).
            ConfigurePeer = (options, behaviour, t) =>
                behaviour == SyntheticBehaviour.CorruptBlock ? options with { CorruptPieceIndex = Target(t) }
                : behaviour == SyntheticBehaviour.LacksPiece ? options with { HasPieces = Enumerable.Range(0, t.Torrent.PieceCount).Where(p => p != Target(t)).ToHashSet() }
                : behaviour == SyntheticBehaviour.ChokesBeforeHave ? options with { LatePiece = Target(t), HeldBackPiece = HeldBack(t), ChokeDuration = TrapChoke }
                : behaviour == SyntheticBehaviour.ForgedLayer ? options
                : v2 ? options with { LatePiece = Target(t), LateHashes = true }
                : faults ? options with { LatePiece = Target(t) } : options,
        }, ct).ConfigureAwait(false);

        var torrent = swarm.Torrent;
        int? index = pickPiece is null ? null : Target(torrent);
        var output = Path.Combine(folder, index is { } p ? $"piece-{p}" : torrent.Torrent.Name);
        var source = magnet ? torrent.MagnetLink : torrent.Path;
        string[] args = index is { } i2
            ? [magnet ? "magnet_download_piece" : "download_piece", "-o", output, source, i2.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : [magnet ? "magnet_download" : "download", "-o", output, source];
        var run = await context.RunAsync(args, ct, stopEarly.Token).ConfigureAwait(false);

        var expected = index is { } e ? torrent.Piece(e).ToArray() : torrent.Payload;
        var written = File.Exists(output) ? await File.ReadAllBytesAsync(output, ct).ConfigureAwait(false) : null;
        var log = swarm.Log;
        var beforeUnchoke = log.FirstOrDefault(l => l.Contains(PeerLog.BeforeUnchoke, StringComparison.Ordinal));
        // A v2 piece is right only when the client asked for the hashes that verify it (an unverified piece may be right by luck).
        var askedHashes = !v2 || log.Any(l => l.Contains(PeerLog.HashRequestAnswered, StringComparison.Ordinal));
        var right = run.Succeeded && written is not null && written.AsSpan().SequenceEqual(expected) && beforeUnchoke is null && askedHashes;
        var seeder = metadataId is null ? null : TrackerEvidence.SeederAnnounceHint(swarm);   // a magnet announce with left=0
        var broken = strict ? StrictRule(log, v2) : null;
        if (right && seeder is null && broken is null) return StageResult.Pass(context.Runs, run.CommandLine);
        // A strict rule broken: the finding, even when the download is right; a request read while choked stops the run
        // early (the program then waits for blocks the choke dropped), so that finding stands whatever was written.
        if (seeder is null && broken is { } rule && (right || rule.Evidence.Contains(PeerLog.ChokeIgnored, StringComparison.Ordinal)))
            return StageResult.Fail(context.Runs, run.CommandLine, $"{ExpectedText(index, torrent, output, expected)}, and the rules --strict enforces kept",
                $"{(right ? "the right file" : written is null ? $"{output}: no file ({run.Outcome})" : $"{output}: {written.Length} bytes ({run.Outcome})")}, and: {rule.Evidence}",
                rule.Hint, PeerEvidence.Lines(swarm, context.Options.Trace));
        if (!run.Succeeded && written is not null && written.AsSpan().SequenceEqual(expected) && beforeUnchoke is null && askedHashes && seeder is null)
            return StageResult.RightOutputWrongEnd(context.Runs, run, $"{output}: {expected.Length} bytes, right, and exit code 0")
                with { Actual = $"{output}: the right {written.Length} bytes\n({run.Outcome})" };

        var what = index is { } w ? $"piece {w} of {torrent.Torrent.PieceCount}" : $"the whole file ({torrent.Torrent.PieceCount} pieces)";
        var expectedText = $"{output}: {what}, {expected.Length} bytes, SHA-1 {Sha1(expected)}, and exit code 0";
        var actualText = (written is null ? $"{output}: no file" : $"{output}: {written.Length} bytes, SHA-1 {Sha1(written)}") + $"\n({run.Outcome})";
        if (right)
            return StageResult.Fail(context.Runs, run.CommandLine, "an announce with a positive 'left'", "an announce with left=0",
                seeder, PeerEvidence.Lines(swarm, context.Options.Trace));
        var hint = (metadataId is { } id ? MagnetEvidence.Hint(swarm, id, run, fetchedMetadata: true) : null)
            ?? (askedHashes ? null : NoHashRequest)
            ?? (v2 ? V2Hint(torrent, index, written, swarm, run) : null)
            ?? TrackerEvidence.Hint(swarm, magnet)
            ?? seeder
            ?? DownloadDiagnosis.Explain(torrent, index, written, log, run, context.Options.Faults, swarm.Trace);
        // A program stopped at its limit after it received what it needed (a 'have', the piece layer, every block): the
        // evidence names what it did not act on, so that hint stands, with the limit's make-up after it.
        var unheeded = run.TimedOut && hint is not null && hint == DownloadDiagnosis.Unheeded(torrent, index, swarm.Trace);
        return StageResult.Fail(context.Runs, run.CommandLine, expectedText, actualText, hint, PeerEvidence.Lines(swarm, context.Options.Trace))
            with { HintStandsOnTimeout = unheeded };
    }

    /// <summary>The first rule --strict enforces that the peers' log shows broken: a request for a piece the peer's
    /// bitfield and haves never announced, or a v2 handshake without the upgrade bit.</summary>
    private static (string Evidence, string Hint)? StrictRule(IReadOnlyList<string> log, bool v2)
    {
        if (log.FirstOrDefault(l => l.Contains(PeerLog.ChokeIgnored, StringComparison.Ordinal)) is { } choked)
            return (choked, "(--strict) you asked a peer that was choking you: it sent 'choke' (id 0), then 'have' for this piece, and " +
                "your request for the piece came before its 'unchoke' (id 1), so you had read the choke (or asked for a piece it had " +
                "not announced); BEP 3: a choked client sends no request until it is unchoked, and its pending requests are gone");
        if (log.FirstOrDefault(l => l.Contains(PeerLog.NotYet, StringComparison.Ordinal)) is { } missing)
            return (missing, "(--strict) you asked a peer for a piece its bitfield did not announce (and no 'have' had): read the " +
                "bitfield (id 5) and every 'have' (id 4) and ask each peer only for pieces it announced; BEP 3 sends them for this");
        if (v2 && log.FirstOrDefault(l => l.Contains(PeerLog.NoV2Bit, StringComparison.Ordinal)) is { } noBit)
            return (noBit, "(--strict) a v2 handshake sets the upgrade bit, reserved byte 7 |= 0x10 (BEP 52): it tells the peer you " +
                "speak v2 (hash requests, hashes, hash rejects)");
        return null;
    }

    private static string ExpectedText(int? index, LabTorrent torrent, string output, byte[] expected) =>
        $"{output}: {(index is { } w ? $"piece {w} of {torrent.Torrent.PieceCount}" : $"the whole file ({torrent.Torrent.PieceCount} pieces)")}, {expected.Length} bytes";

    private const string NoHashRequest = "no peer was asked for hashes: a v2 magnet link's metadata has no piece layers, so ask a peer "
        + "with a hash request (message 21: the file's pieces root, base layer log2(piece length / 16 KiB), index, length, proof layers), "
        + "check the hashes it sends (message 22) against the pieces root, then check the piece against its hash";

    /// <summary>The two v2 mistakes the evidence shows: the forger's piece written (its layer was trusted without the root
    /// check), or the last piece refused although every block of it arrived (its leaves padded short of a whole piece).</summary>
    private static string? V2Hint(LabTorrent torrent, int? index, byte[]? written, LabSwarm swarm, StudentRun run)
    {
        var t = torrent.Torrent;
        var expected = index is { } i ? torrent.Piece(i) : torrent.Payload;
        var forged = swarm.Log.Any(l => l.Contains(PeerLog.ForgedLayerSent, StringComparison.Ordinal));
        if (forged && written is not null && written.Length == expected.Length && written[0] != expected[0] && written.AsSpan(1).SequenceEqual(expected[1..]))
            return "a peer sent a piece layer that does not hash up to the file's pieces root, and you trusted it, so its corrupt piece " +
                "passed your check: hash the layer's hashes up in pairs (padding the layer to a power of two with the hash of an " +
                "all-zero piece) and compare the result with 'pieces root' from the metadata before you use any of them; drop a " +
                "peer whose layer fails and ask another";
        var last = t.PieceCount - 1;
        var lastLength = torrent.Piece(last).Length;   // the file's bytes in it (a v2 piece may be laid out whole)
        var blocks = (lastLength + WireLimits.BlockLength - 1) / WireLimits.BlockLength;
        var forgers = swarm.Peers.Where(p => p.Behaviour == SyntheticBehaviour.ForgedLayer).Select(p => $"peer {p.EndPoint} ").ToList();
        var sent = swarm.Trace.Where(l => l.Contains($"-> piece index={last} ", StringComparison.Ordinal) && !forgers.Any(l.StartsWith))
            .Select(l => l[(l.IndexOf("begin=", StringComparison.Ordinal) + 6)..].Split(' ')[0]).Distinct().Count();
        var honestLayer = swarm.Log.Any(l => l.Contains($"{PeerLog.HashRequestAnswered} with Hashes", StringComparison.Ordinal) && !l.Contains(PeerLog.ForgedLayerSent, StringComparison.Ordinal));
        if (index == last && written is null && !run.Succeeded && !run.TimedOut && honestLayer && sent >= blocks)
            return $"every block of the last piece (piece {last}, {lastLength} bytes: {blocks} block(s) of 16 KiB) arrived and an " +
                "honest peer sent the piece layer, yet your program refused the piece: a v2 piece's hash is the root over its blocks' " +
                $"leaves padded with zero hashes to a WHOLE piece ({MerkleTreeLeaves(t.PieceLength)} leaves here), even for the last piece; " +
                "padding to the next power of two of its own blocks is the rule for a file's root, not for a piece";
        return null;
    }

    private static int MerkleTreeLeaves(int pieceLength) => Merkle.MerkleTree.BlocksPerPiece(pieceLength);

    private static void TryCancelAfter(CancellationTokenSource source, TimeSpan delay)
    {
        try { source.CancelAfter(delay); }
        catch (ObjectDisposedException) { /* the run is over; nothing left to stop */ }
    }

    private static string Sha1(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(data))[..12] + "...";
}
