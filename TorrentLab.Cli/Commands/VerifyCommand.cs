using System.CommandLine;
using System.Globalization;
using TorrentLab.Cli.Display;
using TorrentLab.Client;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab verify &lt;file.torrent&gt; --output DIR</c>: re-hashes the download on disk, prints each
/// file's completeness and the totals, and rewrites the resume ledger.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var torrentPath = CommandParts.TorrentArgument();
        var output = new Option<string>("--output", "-o") { Description = "The download folder", Required = true }.FolderNotFile();
        var command = new Command("verify", "Check the downloaded files against the torrent's piece hashes.") { torrentPath, output };
        return command.WithAction((parse, cancellation) => RunAsync(parse.GetValue(torrentPath)!, parse.GetValue(output)!, cancellation));
    }

    private static async Task<int> RunAsync(string torrentPath, string outputDir, CancellationToken cancellation)
    {
        var torrent = Torrent.Load(torrentPath);
        if (!Directory.Exists(outputDir)) throw new DirectoryNotFoundException($"output folder '{outputDir}' does not exist");
        var stdout = Console.Out;
        stdout.WriteLine($"verifying '{torrent.Name}': {torrent.PieceCount} pieces of {Size(torrent.PieceLength)}, {Size(torrent.PayloadLength)} in {Path.GetFullPath(outputDir)}");

        VerifyReport report;
        using (var checking = CheckingLine.OnStderr(torrent.Name, torrent.TotalLength, quiet: Console.IsErrorRedirected) /* on a terminal only: stderr stays the verdict for scripts */)
            report = await TorrentClient.VerifyAsync(torrent, outputDir, writeLedger: true, checking, cancellation).ConfigureAwait(false);
        var have = report.Have;
        var missingFiles = 0;
        var indexes = Enumerable.Range(0, torrent.Files.Count).Where(i => !torrent.Files[i].IsPadding).ToArray(); // report.Files' order
        foreach (var (file, index) in report.Files.Zip(indexes))
        {
            var exists = File.Exists(Path.Combine(outputDir, file.File.RelativePath));
            var skipped = report.Selection.IsSkipped(index); // not downloaded: absence is no damage
            if (!exists && !skipped) missingFiles++;
            var pieces = $"{file.VerifiedPieces}/{file.TotalPieces} pieces";
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {file.Percent,6:0.0}%  {pieces,-18}  {file.File.DisplayPath}{(skipped ? "  (skipped)" : exists ? "" : "  (missing)")}"));
        }
        var haveBytes = torrent.Files.Where(f => !f.IsPadding).Sum(f => VerifiedBytes(torrent, f, have));
        var percent = torrent.PieceCount == 0 ? 100 : 100.0 * have.Count / torrent.PieceCount;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"total: {have.Count}/{torrent.PieceCount} pieces ({percent:0.0}%), {haveBytes} of {torrent.PayloadLength} bytes verified"));

        stdout.WriteLine($"resume ledger written: {report.LedgerPath} (pieces verified with {report.HashScheme})");
        var selection = report.Selection;
        if (!selection.IsEverything)
            stdout.WriteLine($"selection (from the resume ledger): {indexes.Count(selection.IsSkipped)} file(s) skipped; " +
                $"{selection.WantedIn(have, torrent).Pieces}/{selection.WantedCount} wanted pieces verified");
        if (report.IsComplete && missingFiles == 0) return ExitCodes.Ok;
        var wantedMissing = selection.WantedCount - selection.WantedIn(have, torrent).Pieces;
        Console.Error.WriteLine(report.IsComplete
            ? $"incomplete: {missingFiles} empty file(s) missing"
            : $"incomplete: {wantedMissing} of {selection.WantedCount} {(selection.IsEverything ? "" : "wanted ")}pieces are missing or damaged");
        return ExitCodes.VerifyFailed;
    }

    /// <summary>The bytes of <paramref name="file"/> inside verified pieces (padding is never counted).</summary>
    private static long VerifiedBytes(Torrent torrent, TorrentFile file, Wire.Bitfield have)
    {
        long bytes = 0;
        for (var i = file.Offset / torrent.PieceLength; i * torrent.PieceLength < file.Offset + file.Length; i++)
        {
            if (!have[(int)i]) continue;
            var start = Math.Max(file.Offset, i * torrent.PieceLength);
            var end = Math.Min(file.Offset + file.Length, (i + 1) * torrent.PieceLength);
            bytes += end - start;
        }
        return bytes;
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => $"{bytes} B",
    };
}
