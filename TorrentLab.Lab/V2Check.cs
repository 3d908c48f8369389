using System.Security.Cryptography;
using TorrentLab.Creation;
using TorrentLab.Merkle;
using TorrentLab.Metainfo;

namespace TorrentLab.Lab;

/// <summary>The BitTorrent v2 stages (BEP 52): <c>info</c> must add <c>Info Hash v2: &lt;64 hex&gt;</c> for v2 and
/// hybrid torrents, and <c>merkle_root &lt;file&gt;</c> must print a file's <c>Pieces Root: &lt;64 hex&gt;</c>.</summary>
internal static class V2Check
{
    /// <summary>v2 info hash: SHA-256 of the bencoded info dictionary, all 32 bytes, for a v2-only and a hybrid torrent.</summary>
    public static async Task<StageResult> InfoHashAsync(StageContext context, CancellationToken ct)
    {
        var ran = "";
        foreach (var format in new[] { TorrentFormat.V2, TorrentFormat.Hybrid })
        {
            var (torrent, path) = Generate(context, format);
            var run = await context.RunAsync(["info", path], ct).ConfigureAwait(false);
            ran = run.CommandLine;
            var expected = torrent.InfoHashV2!.Value.Hex;
            var printed = Value(run.Stdout, "Info Hash v2");
            if (printed == expected && run.Succeeded) continue;
            if (printed == expected) return StageResult.RightOutputWrongEnd(context.Runs, run, $"Info Hash v2: {expected}");
            var hint = printed is null ? (run.Succeeded ? "print a line 'Info Hash v2: <64 hex digits>' for a torrent with 'meta version' 2" : "your program failed: read the error above (a v2-only torrent has no 'pieces' and no 'length' in 'info')")
                : printed.Equals(expected, StringComparison.OrdinalIgnoreCase) && printed != expected ? "print the hash in lowercase hex"
                : printed == expected[..40] ? "print all 32 bytes of the SHA-256 (64 hex digits); the 20-byte truncation is only for the handshake and trackers"
                : printed == Convert.ToHexStringLower(SHA1.HashData(torrent.RawInfo.Span)) ? "that is the SHA-1 of the info dictionary (the v1 hash); BEP 52 uses SHA-256 of the same bytes"
                : "hash the exact bytes of the bencoded 'info' value, as they are in the file, with SHA-256";
            return StageResult.Fail(context.Runs, run.CommandLine, $"Info Hash v2: {expected}", $"{run.StdoutShown}\n({run.Outcome})", hint);
        }
        return StageResult.Pass(context.Runs, ran);
    }

    /// <summary>Merkle root: files of one short block, exactly one block, and block counts that are not powers of two.</summary>
    /// <remarks>The sizes are chosen so each classic mistake shows on every seed (<see cref="MerkleMistakes"/>): three
    /// blocks make the leaf layer odd (a repeated last hash, a lone hash carried up), five or six make a layer ABOVE the
    /// leaves odd (zero hashes padding every layer instead of the leaves only: with seven blocks, padding the leaves to
    /// eight leaves no odd layer above them, and that mistake would pass).</remarks>
    public static async Task<StageResult> RootAsync(StageContext context, CancellationToken ct)
    {
        const int block = MerkleTree.BlockSize;
        long[] sizes = [context.Random.Next(1, block), block, 2 * block + context.Random.Next(1, block), 4 * block + context.Random.Next(1, 2 * block + 1)];
        var ran = "";
        foreach (var size in sizes)
        {
            var data = new byte[size];
            context.Random.NextBytes(data);
            var path = context.PathFor($"file-{size}.bin");
            await File.WriteAllBytesAsync(path, data, ct).ConfigureAwait(false);
            var run = await context.RunAsync(["merkle_root", path], ct).ConfigureAwait(false);
            ran = run.CommandLine;
            var expected = Convert.ToHexStringLower(MerkleTree.FileRoot(data));
            var printed = Value(run.Stdout, "Pieces Root");
            if (printed == expected && run.Succeeded) continue;
            if (printed == expected) return StageResult.RightOutputWrongEnd(context.Runs, run, $"Pieces Root: {expected}");
            var hint = printed is null ? (run.Succeeded ? "print a line 'Pieces Root: <64 hex digits>'" : "your program failed: read the error above")
                : printed.Equals(expected, StringComparison.OrdinalIgnoreCase) && printed != expected ? "print the root in lowercase hex"
                : MerkleMistakes.Explain(data, printed)
                  ?? "hash every 16 KiB block with SHA-256 (the leaves), pad the leaves with 32 zero bytes to a power of two, then hash pairs (left || right) up to one hash";
            return StageResult.Fail(context.Runs, run.CommandLine, $"Pieces Root: {expected}  (a file of {size} bytes: {MerkleTree.BlockCount(size)} blocks)",
                $"{run.StdoutShown}\n({run.Outcome})", hint);
        }
        return StageResult.Pass(context.Runs, ran);
    }

    private static (Torrent Torrent, string Path) Generate(StageContext context, TorrentFormat format)
    {
        var pieceLength = context.Random.Next(2) == 0 ? 16 * 1024 : 32 * 1024;
        var payload = new byte[context.Random.Next(2 * pieceLength, 6 * pieceLength)];
        context.Random.NextBytes(payload);
        var port = context.Random.Next(10_000, 60_000); // never contacted: the URL only has to be read
        var name = $"lab-v2-{context.Random.Next(1000, 9999)}.bin";
        var bytes = TorrentBuilder.Create(name, payload, TorrentCreateOptions.WithTrackers($"http://127.0.0.1:{port}/announce") with
        {
            PieceLength = pieceLength,
            Format = format,
            CreationDate = null,
        });
        var path = context.PathFor($"{format.ToString().ToLowerInvariant()}.torrent");
        File.WriteAllBytes(path, bytes);
        return (Torrent.Parse(bytes), path);
    }

    /// <summary>The value after <c>label: </c> on the first output line starting with it, or null.</summary>
    private static string? Value(string stdout, string label) =>
        stdout.Replace("\r", "").Split('\n').Select(l => l.Trim())
            .FirstOrDefault(l => l.StartsWith(label + ":", StringComparison.Ordinal)) is { } line ? line[(label.Length + 1)..].Trim() : null;
}
