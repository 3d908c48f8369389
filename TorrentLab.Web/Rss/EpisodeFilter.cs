using System.Text.RegularExpressions;

namespace TorrentLab.Web;

/// <summary>qBittorrent's episode filter: which episodes of which seasons a rule takes, read from the article's title
/// (<c>S01E05</c>, <c>s1.e5</c>, <c>1x05</c>).</summary>
/// <remarks>
/// <code>
/// filter   := season 'x' episodes (';' [season 'x'] episodes)* [';']
/// episodes := N | N-M | N- | -                 N: one episode; N-M: a range; N-: N and every later episode, later
///                                              seasons too; '-' alone (or nothing): every episode of the season on
/// 1x2;8-15;20;30-;   season 1, episodes 2, 8 to 15, 20, and 30 on (qBittorrent's own example)
/// 1x2-4;2x-          season 1 episodes 2 to 4, and season 2 on
/// </code>
/// qBittorrent's syntax names one season, at the start, and ends with ';'; here a later part may name another season,
/// and the last ';' may be left out. A range whose start is after its end takes nothing, as in qBittorrent.
/// </remarks>
internal sealed partial class EpisodeFilter
{
    private readonly List<(int Season, int First, int? Last)> _parts;

    private EpisodeFilter(List<(int, int, int?)> parts) => _parts = parts;

    /// <summary>The filter <paramref name="text"/> describes, or null for an empty one (every article passes).</summary>
    /// <exception cref="FormatException">Not in the syntax above (the message names the part).</exception>
    public static EpisodeFilter? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = new List<(int, int, int?)>();
        int? season = null;
        foreach (var raw in text.Trim().TrimEnd(';').Split(';'))
        {
            var part = raw.Trim();
            var x = part.IndexOf('x', StringComparison.OrdinalIgnoreCase);
            if (x >= 0)
            {
                season = Number(part[..x], part);
                part = part[(x + 1)..];
            }
            if (season is not { } s) throw new FormatException($"episode filter '{text}': it must start with a season, as in 1x2-4;");
            var dash = part.IndexOf('-');
            if (part.Length == 0 || part == "-") parts.Add((s, 0, null));
            else if (dash < 0) { var n = Number(part, part); parts.Add((s, n, n)); }
            else if (dash == part.Length - 1) parts.Add((s, Number(part[..dash], part), null));
            else parts.Add((s, Number(part[..dash], part), Number(part[(dash + 1)..], part)));
        }
        return new EpisodeFilter(parts);
    }

    private static int Number(string text, string part) =>
        text.Length is > 0 and <= 4 && text.All(char.IsAsciiDigit) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : throw new FormatException($"episode filter: '{part}' is not N, N-M, N- or SxN (1 to 4 digits each)");

    /// <summary>True when the title names a season and episode this filter takes; false when it names none.</summary>
    public bool Matches(string title)
    {
        if (Episode(title) is not var (season, episode)) return false;
        foreach (var (s, first, last) in _parts)
        {
            if (last is { } end)
            {
                if (season == s && episode >= first && episode <= end) return true;
            }
            else if ((season == s && episode >= first) || season > s) return true; // open: later seasons too, as qBittorrent
        }
        return false;
    }

    /// <summary>The season and episode a title names: S01E05 (with a space, '.', '_' or '-' between them allowed) or 1x05.</summary>
    public static (int Season, int Episode)? Episode(string title)
    {
        var match = SeasonEpisode().Match(title);
        if (!match.Success) match = NumberXNumber().Match(title);
        return match.Success ? (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value)) : null;
    }

    // On the non-backtracking engine: linear in the title whatever a feed sends, with no time limit (one on the wall
    // clock, 100 ms, threw on a loaded machine). It has no lookahead, so "no digit after" is a non-digit or the end.
    [GeneratedRegex(@"\bs0*(\d{1,4})[ ._-]?e0*(\d{1,4})(?:\D|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex SeasonEpisode();

    [GeneratedRegex(@"\b(\d{1,4})x0*(\d{1,4})(?:\D|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex NumberXNumber();
}
