using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;

namespace TorrentLab.Cli.Commands;

/// <summary><c>--select-file 1,3-5</c> (aria2's name and shape: 1-based indices as <c>info</c> lists the files),
/// <c>--select GLOB</c> and <c>--sequential</c>: which files the main download fetches, and in what order.</summary>
internal sealed class SelectionSettings
{
    public Option<string> SelectFile { get; } = new("--select-file")
    {
        Description = "Download only these files: 1-based indices as 'info' lists them, e.g. 1,3-5 (the others are skipped)",
    };

    public Option<string[]> Select { get; } = new("--select")
    {
        Description = "Download only files matching this glob (* and ? within a name, ** across folders; no '/' matches the file name; repeatable)",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> Sequential { get; } = new("--sequential") { Description = "Download pieces in order (for streaming) instead of rarest first" };

    public void AddTo(Command command)
    {
        command.Options.Add(SelectFile);
        command.Options.Add(Select);
        command.Options.Add(Sequential);
    }

    /// <summary>Checks the shape of <c>--select-file</c> before anything is fetched (the range check needs the torrent).</summary>
    /// <exception cref="UsageException">The list is malformed.</exception>
    public void Check(ParseResult parse)
    {
        if (parse.GetValue(SelectFile) is { } list) ParseRanges(list);
    }

    /// <summary>One priority per file of <paramref name="torrent"/> (selected: normal, others: skip), or null when
    /// neither option was given (every file, or what the resume ledger recorded).</summary>
    /// <exception cref="UsageException">An index is out of range, or nothing matches.</exception>
    public IReadOnlyList<FilePriority>? Priorities(ParseResult parse, Torrent torrent)
    {
        var list = parse.GetValue(SelectFile);
        var globs = parse.GetValue(Select) ?? [];
        if (list is null && globs.Length == 0) return null;
        var userFiles = Enumerable.Range(0, torrent.Files.Count).Where(i => !torrent.Files[i].IsPadding).ToArray(); // info's order
        var chosen = new HashSet<int>();
        if (list is not null)
        {
            foreach (var (first, last) in ParseRanges(list))
            {
                if (last > userFiles.Length)
                    throw new UsageException($"--select-file: file {last} is out of range: the torrent has {userFiles.Length} file(s), numbered from 1 as 'info' lists them");
                for (var n = first; n <= last; n++) chosen.Add(userFiles[n - 1]);
            }
        }
        foreach (var glob in globs)
        {
            var pattern = GlobRegex(glob);
            var matched = userFiles.Where(i => Candidates(torrent, torrent.Files[i], glob).Any(pattern.IsMatch)).ToList();
            if (matched.Count == 0) throw new UsageException($"--select: no file of the torrent matches '{glob}'");
            chosen.UnionWith(matched);
        }
        return [.. Enumerable.Range(0, torrent.Files.Count).Select(i => chosen.Contains(i) ? FilePriority.Normal : FilePriority.Skip)];
    }

    /// <summary>What a glob is matched against: without '/', the file's name; with one, its path both with and without
    /// the torrent's folder (other clients write <c>sub/**</c> for the path inside the torrent, <c>info</c> shows
    /// <c>name/sub/...</c>).</summary>
    private static IEnumerable<string> Candidates(Torrent torrent, TorrentFile file, string glob)
    {
        if (!glob.Contains('/', StringComparison.Ordinal))
        {
            yield return file.PathSegments[^1];
            yield break;
        }
        yield return file.DisplayPath;
        if (torrent.IsMultiFile && file.PathSegments.Count > 1) yield return string.Join('/', file.PathSegments.Skip(1));
    }

    /// <summary>Reads <c>1,3-5</c> into inclusive 1-based ranges.</summary>
    /// <exception cref="UsageException">Empty, not a number, 0, or a range whose end is below its start.</exception>
    internal static List<(int First, int Last)> ParseRanges(string text)
    {
        var ranges = new List<(int, int)>();
        foreach (var part in text.Split(','))
        {
            var bounds = part.Trim().Split('-');
            if (bounds.Length > 2 || !bounds.All(IsIndex))
                throw new UsageException($"--select-file expects file indices such as 1,3-5 (from 1, as 'info' lists them), got '{part.Trim()}' in '{text}'");
            var first = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var last = bounds.Length == 2 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : first;
            if (first == 0 || last == 0) throw new UsageException($"--select-file counts files from 1, got 0 in '{text}'");
            if (last < first) throw new UsageException($"--select-file: range '{part.Trim()}' ends before it starts");
            ranges.Add((first, last));
        }
        return ranges;

        static bool IsIndex(string s) => s.Length is > 0 and <= 9 && s.All(char.IsAsciiDigit);
    }

    /// <summary>A glob as a regular expression: <c>**</c> any text, <c>*</c> any text without '/', <c>?</c> one character.</summary>
    private static Regex GlobRegex(string glob)
    {
        var pattern = Regex.Escape(glob).Replace(@"\*\*", "\u0001", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal).Replace("\u0001", ".*", StringComparison.Ordinal);
        // Linear in the path on the non-backtracking engine, so no time limit (one on the wall clock depends on the load).
        return new Regex("^" + pattern + "$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
    }
}
