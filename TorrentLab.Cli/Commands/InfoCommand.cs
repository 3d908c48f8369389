using System.CommandLine;
using System.Globalization;
using System.Text;
using TorrentLab.Cli.Display;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab info &lt;file.torrent&gt; [--json]</c>: prints what a .torrent file describes (BEP 3).</summary>
/// <remarks>The first lines are fixed, classroom checkers match them exactly:
/// <c>Tracker URL:</c>, <c>Length:</c>, <c>Info Hash:</c>, <c>Piece Length:</c>, <c>Piece Hashes:</c> then one hash a line.
/// <c>Length:</c> is the payload without BEP 47 padding. A v2 or hybrid torrent (BEP 52) adds <c>Meta Version: 2</c>,
/// <c>Info Hash v2:</c> (SHA-256) and each file's pieces root; a v2-only torrent has no SHA-1 piece hashes, and its
/// <c>Info Hash:</c> is the v2 hash truncated to 20 bytes, the form peers and trackers use.</remarks>
internal static class InfoCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("torrent") { Description = "The .torrent file to read" }.NotAnOption();
        var json = new Option<bool>("--json") { Description = "Print the same information as JSON" };
        var summary = new Option<bool>("--summary", "-s") { Description = "Lead with the name, size and files, and leave out the piece hashes" };
        var command = new Command("info", "Show what a .torrent file describes: tracker, length, info hash, pieces, files.") { file, json, summary };
        return command.WithAction((parse, _) =>
        {
            var report = InfoReport.From(Torrent.Load(parse.GetValue(file)!.FullName));
            // Streamed: a torrent with millions of pieces prints millions of lines without holding them all.
            using var stdout = Console.OpenStandardOutput();
            if (parse.GetValue(json))
            {
                report.WriteJson(stdout);
                stdout.WriteByte((byte)'\n');
            }
            else
            {
                using var writer = new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16);
                if (parse.GetValue(summary)) WriteSummary(report, writer);
                else Write(report, writer);
            }
            return ExitCodes.Ok;
        });
    }

    /// <summary>The human-readable report, one fact per line.</summary>
    internal static string Text(InfoReport r)
    {
        using var s = new StringWriter();
        Write(r, s);
        return s.ToString();
    }

    /// <summary>Writes the report to <paramref name="s"/>; text from the torrent (names, comment) is escaped for the terminal.</summary>
    /// <remarks>The classroom lines come first, as the lab's info stages and students' own programs print them (docs/exercises,
    /// steps 5-7: "keep these two first"), so the human summary (name, size, files) follows the piece hashes; <c>--summary</c>
    /// leads with it instead.</remarks>
    internal static void Write(InfoReport r, TextWriter s)
    {
        void Line(string text) => s.Write(text + "\n");
        Line($"Tracker URL: {r.TrackerUrl ?? "(none)"}");
        Line($"Length: {r.Length.ToString(CultureInfo.InvariantCulture)}");
        Line($"Info Hash: {r.InfoHash}");
        Line($"Piece Length: {r.PieceLength.ToString(CultureInfo.InvariantCulture)}");
        Line("Piece Hashes:");
        foreach (var hash in r.PieceHashes) Line(hash);
        if (r.InfoHashV2 is not null)
        {
            Line($"Meta Version: {r.MetaVersion.ToString(CultureInfo.InvariantCulture)}");
            Line($"Info Hash v2: {r.InfoHashV2}");
        }
        WriteNameAndFiles(r, s);
        Line($"Private: {(r.Private ? "yes" : "no")}");
        if (r.Trackers.Count > 0)
        {
            Line("Trackers:");
            for (var i = 0; i < r.Trackers.Count; i++) Line($"  tier {i + 1}: {string.Join(' ', r.Trackers[i])}");
        }
        if (r.WebSeeds.Count > 0)
        {
            Line("Web Seeds:");
            foreach (var seed in r.WebSeeds) Line($"  {seed}");
        }
        if (r.Comment is not null) Line($"Comment: {UntrustedText.Clean(r.Comment, 1000)}");
        if (r.CreatedBy is not null) Line($"Created By: {UntrustedText.Clean(r.CreatedBy)}");
        if (r.CreationDate is { } date) Line($"Creation Date: {date.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC");
        if (r.Hybrid) Line("Hybrid: yes (BEP 52: v1 and v2 hashes of the same files; downloads use the v1 half)");
        Line($"Magnet Link: {r.MagnetLink}");
    }

    /// <summary>The <c>--summary</c> report: name, size and files first, then the hashes and links that identify the
    /// torrent, without the list of piece hashes.</summary>
    internal static void WriteSummary(InfoReport r, TextWriter s)
    {
        void Line(string text) => s.Write(text + "\n");
        WriteNameAndFiles(r, s);
        Line($"Info Hash: {r.InfoHash}");
        if (r.InfoHashV2 is not null) Line($"Info Hash v2: {r.InfoHashV2}");
        Line($"Tracker URL: {r.TrackerUrl ?? "(none)"}");
        Line($"Private: {(r.Private ? "yes" : "no")}");
        if (r.Comment is not null) Line($"Comment: {UntrustedText.Clean(r.Comment, 1000)}");
        Line($"Magnet Link: {r.MagnetLink}");
    }

    /// <summary>Name, size in binary units (with pieces), and for a multi-file torrent each file numbered as
    /// <c>--select-file</c> takes it.</summary>
    private static void WriteNameAndFiles(InfoReport r, TextWriter s)
    {
        void Line(string text) => s.Write(text + "\n");
        var files = r.Files.Where(f => !f.Padding).ToList();
        Line($"Name: {r.Name}");
        Line($"Size: {Units.Bytes(r.Length)}{(r.MultiFile ? $" in {Units.Count(files.Count, "file")}" : "")}, " +
             $"{Units.Count(r.PieceCount, "piece")} of {Units.Bytes(r.PieceLength)}");
        if (r.MultiFile)
        {
            Line($"Files: {files.Count.ToString(CultureInfo.InvariantCulture)}");
            // Pad files (BEP 47) are not the user's files: listed only in --json, marked "padding". The 1-based index is
            // what --select-file takes.
            var index = 0;
            foreach (var f in files)
                Line($"  {(++index).ToString(CultureInfo.InvariantCulture)}: {f.Path} ({Units.Bytes(f.Length)}{(f.PiecesRoot is null ? "" : ", pieces root " + f.PiecesRoot)})");
        }
        else if (r.Files.FirstOrDefault()?.PiecesRoot is { } root)
        {
            Line($"Pieces Root: {root}");
        }
    }
}
