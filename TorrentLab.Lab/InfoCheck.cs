using System.Globalization;

namespace TorrentLab.Lab;

/// <summary>The three metainfo stages: <c>info &lt;file.torrent&gt;</c> on freshly generated torrents, judged on the
/// lines each stage introduces (<c>Tracker URL</c> and <c>Length</c>; <c>Info Hash</c>; <c>Piece Length</c> and
/// <c>Piece Hashes</c>).</summary>
internal static class InfoCheck
{
    private const int TorrentsPerStage = 2;

    /// <summary>Torrents the info-hash stage hashes: a client that re-encodes the info dictionary in its hash map's order
    /// gets the sorted order by chance on about five torrents in eight (a Go map of four keys), so two passed one seed in
    /// three; ten leave about one in a hundred.</summary>
    private const int InfoHashTorrents = 10;

    /// <summary>Parse torrent: the tracker URL and the length.</summary>
    public static Task<StageResult> ParseTorrentAsync(StageContext context, CancellationToken ct) => CheckAsync(context, TrackerAndLength, ct);

    /// <summary>Info hash: SHA-1 of the bencoded info dictionary, as 40 lowercase hex digits.</summary>
    public static Task<StageResult> InfoHashAsync(StageContext context, CancellationToken ct) => CheckAsync(context, Hash, ct, InfoHashTorrents);

    /// <summary>Piece hashes: the piece length and each 20-byte hash of 'pieces' as hex, one per line.</summary>
    public static Task<StageResult> PieceHashesAsync(StageContext context, CancellationToken ct) => CheckAsync(context, PieceHashes, ct);

    /// <summary>Judges a whole <c>info</c> output (as <c>magnet_info</c> prints it): null when every line is right, else
    /// the full expected text (long hash lists shortened) and the hint of the first wrong part. With
    /// <paramref name="magnet"/> the hints speak of the magnet link and the fetched metadata, not of a .torrent file.</summary>
    public static (string Expected, string? Hint)? JudgeAll(LabTorrent torrent, string stdout, bool magnet = false)
    {
        var output = new InfoOutput(stdout);
        var verdicts = new[] { magnet ? MagnetTrackerAndLength(torrent, output) : TrackerAndLength(torrent, output), Hash(torrent, output), PieceHashes(torrent, output) };
        if (verdicts.All(v => v is null)) return null;
        var t = torrent.Torrent;
        var hashes = Enumerable.Range(0, t.PieceCount).Select(i => Convert.ToHexStringLower(t.GetPieceHash(i)));
        var expected = $"Tracker URL: {t.Announce}\nLength: {t.TotalLength}\nInfo Hash: {t.InfoHash.Hex}\n" +
            $"Piece Length: {t.PieceLength}\nPiece Hashes:\n{string.Join('\n', hashes)}";
        var lines = expected.Split('\n');
        const int shown = 12;   // a large torrent has a thousand hashes; the first few show the shape
        if (lines.Length > shown) expected = string.Join('\n', lines.Take(shown)) + $"\n... {lines.Length - shown} more hash lines";
        return (expected, verdicts.First(v => v is not null)!.Value.Hint);
    }

    private static (string Expected, string? Hint)? TrackerAndLength(LabTorrent torrent, InfoOutput output)
    {
        var expected = $"Tracker URL: {torrent.Torrent.Announce}\nLength: {torrent.Torrent.TotalLength}";
        var url = output.Value("Tracker URL");
        var length = output.Value("Length");
        if (url == torrent.Torrent.Announce && length == torrent.Torrent.TotalLength.ToString(CultureInfo.InvariantCulture)) return null;
        string? hint = url is null ? "print a line 'Tracker URL: <the announce URL>' (the top-level 'announce' key)"
            : url != torrent.Torrent.Announce ? (url.StartsWith("b'", StringComparison.Ordinal)
                ? "decode the announce URL's bytes to text before printing it" : "the tracker URL is the top-level 'announce' value")
            : length is null ? "print a line 'Length: <bytes>' (the 'length' key inside 'info')"
            : length == torrent.Torrent.PieceLength.ToString(CultureInfo.InvariantCulture) ? "that is 'piece length'; the file's length is info['length']"
            : "the file's length is info['length'], a bencode integer";
        return (expected, hint);
    }

    /// <summary>As <see cref="TrackerAndLength"/> for <c>magnet_info</c>: the URL comes from the link, the length from the
    /// metadata.</summary>
    private static (string Expected, string? Hint)? MagnetTrackerAndLength(LabTorrent torrent, InfoOutput output)
    {
        if (TrackerAndLength(torrent, output) is not { } wrong) return null;
        var url = output.Value("Tracker URL");
        var length = output.Value("Length");
        string? hint = url is null ? "print a line 'Tracker URL: <the magnet link's tr value, percent-decoded>'"
            : url != torrent.Torrent.Announce ? "the tracker URL is the magnet link's 'tr' parameter, percent-decoded, as magnet_parse prints it"
            : length is null ? "print a line 'Length: <bytes>' (the 'length' key of the info dictionary you fetched)"
            : "the file's length is the 'length' key of the info dictionary you fetched (the metadata), a bencode integer";
        return (wrong.Expected, hint);
    }

    private static (string Expected, string? Hint)? Hash(LabTorrent torrent, InfoOutput output)
    {
        var expected = $"Info Hash: {torrent.Torrent.InfoHash.Hex}";
        var hash = output.Value("Info Hash");
        if (hash == torrent.Torrent.InfoHash.Hex) return null;
        string? hint = hash is null ? "print a line 'Info Hash: <40 hex digits>'"
            : hash.Equals(torrent.Torrent.InfoHash.Hex, StringComparison.OrdinalIgnoreCase) ? "print the hash in lowercase hex"
            : InfoHashMistakes.Explain(torrent, hash)
              ?? "hash the exact bytes of the bencoded 'info' value (keys sorted as in the file, strings as raw bytes), with SHA-1";
        return (expected, hint);
    }

    private static (string Expected, string? Hint)? PieceHashes(LabTorrent torrent, InfoOutput output)
    {
        var t = torrent.Torrent;
        var wanted = Enumerable.Range(0, t.PieceCount).Select(i => Convert.ToHexStringLower(t.GetPieceHash(i))).ToList();
        var expected = $"Piece Length: {t.PieceLength}\nPiece Hashes:\n{string.Join('\n', wanted)}";
        var pieceLength = output.Value("Piece Length");
        var hashes = output.After("Piece Hashes:");
        if (pieceLength == t.PieceLength.ToString(CultureInfo.InvariantCulture) && hashes.SequenceEqual(wanted)) return null;
        string? hint = pieceLength is null ? "print a line 'Piece Length: <bytes>' (info['piece length'])"
            : pieceLength != t.PieceLength.ToString(CultureInfo.InvariantCulture) ? "the piece length is info['piece length']"
            : hashes.Count == 1 && hashes[0].Length == 40 * wanted.Count ? "print one hash per line, not all on one line"
            : hashes.Select(h => h.ToLowerInvariant()).SequenceEqual(wanted) ? "print the hashes in lowercase hex"
            : TextDecoding.PiecesAsTextHint(Pieces(t), hashes, wanted.Count) is { } asText ? asText
            : hashes.Count != wanted.Count ? $"'pieces' holds {wanted.Count} hashes of 20 bytes each: split it every 20 bytes, one hash per line after 'Piece Hashes:'"
            : "each hash is 20 raw bytes of 'pieces' printed as 40 hex digits; keep 'pieces' as bytes, never decode it as text";
        return (expected, hint);
    }

    /// <summary>The torrent's 'pieces' string: every piece's 20-byte SHA-1, in order.</summary>
    private static byte[] Pieces(Metainfo.Torrent t) => [.. Enumerable.Range(0, t.PieceCount).SelectMany(i => t.GetPieceHash(i).ToArray())];

    private delegate (string Expected, string? Hint)? Verdict(LabTorrent torrent, InfoOutput output);

    private static async Task<StageResult> CheckAsync(StageContext context, Verdict verdict, CancellationToken ct, int torrents = TorrentsPerStage)
    {
        var ran = "";
        for (var i = 0; i < torrents; i++)
        {
            // No tracker is contacted in these stages: the URL only has to be read back.
            var port = context.Random.Next(10_000, 60_000);
            // 'pieces' is binary, and the second torrent's name holds characters outside ASCII: a parser that reads the file
            // as text fails on them.
            var torrent = LabTorrent.Generate(context.Random, context.PathFor($"torrent{i}"), $"http://127.0.0.1:{port}/announce", 2, 12,
                nonAsciiName: i == 1);
            var run = await context.RunAsync(["info", torrent.Path], ct).ConfigureAwait(false);
            ran = run.CommandLine;
            var output = new InfoOutput(run.Stdout);
            var failure = verdict(torrent, output);
            if (failure is null && run.Succeeded) continue;
            if (failure is null) return StageResult.RightOutputWrongEnd(context.Runs, run, $"the same lines and exit code 0");
            // Evidence first: a parse that broke where reading the file as text breaks it.
            var hint = (TrackerAndLength(torrent, output) is not null ? TextDecoding.TorrentAsTextHint(torrent, run) : null)
                ?? failure.Value.Hint ?? (run.Succeeded ? null : "your program failed: read the error above");
            return StageResult.Fail(context.Runs, run.CommandLine, failure.Value.Expected, $"{run.StdoutShown}\n({run.Outcome})", hint);
        }
        return StageResult.Pass(context.Runs, ran);
    }

    /// <summary>The <c>Label: value</c> lines of an <c>info</c> output.</summary>
    private sealed class InfoOutput(string stdout)
    {
        private readonly string[] _lines = stdout.Replace("\r", "").Split('\n').Select(l => l.Trim()).ToArray();

        /// <summary>The value after <c>label: </c> on the first line starting with it, or null.</summary>
        public string? Value(string label) =>
            _lines.FirstOrDefault(l => l.StartsWith(label + ":", StringComparison.Ordinal)) is { } line ? line[(label.Length + 1)..].Trim() : null;

        /// <summary>The hex-looking lines that follow the line <paramref name="header"/>.</summary>
        public IReadOnlyList<string> After(string header)
        {
            var start = Array.FindIndex(_lines, l => l.StartsWith(header, StringComparison.Ordinal));
            if (start < 0) return [];
            var rest = _lines[start][header.Length..].Trim();
            var following = _lines.Skip(start + 1).TakeWhile(l => l.Length > 0 && l.All(Uri.IsHexDigit));
            return rest.Length > 0 ? [rest, .. following] : [.. following];
        }
    }
}
