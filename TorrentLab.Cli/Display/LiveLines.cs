using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using TorrentLab.Downloads;

namespace TorrentLab.Cli.Display;

/// <summary>The live display's rows for one progress report, laid out to fit the terminal's width: no row is ever
/// wider, so none wraps and the display redraws in place. Row 1: name, bar, percentage, bytes, rate, ETA. Row 2:
/// pieces, peers, upload, then why nothing arrives (the status) after " -- ", as the seeding row says what ends the
/// seeding, wrapped onto the rows below (a download waiting for its tracker takes three rows at 80 columns). With
/// <c>-v</c>, one row per peer.</summary>
internal static class LiveLines
{
    private const int MinBar = 10;       // narrower than this a bar no longer shows progress; it is dropped instead
    private const int MaxBar = 40;
    private const int MaxPeerRows = 8;   // with the two rows above, fits a 24-line terminal with room for the log
    private const string Gap = "  ";
    private const int MaxStatusRows = 3; // the details and why nothing arrives, in full on an 80-column terminal; a longer one is cut

    /// <summary>The rows for <paramref name="p"/> on a terminal <paramref name="width"/> columns wide.</summary>
    /// <param name="seeding">When the download seeds once complete: what ends it (then a complete download shows the
    /// seeding rows); null otherwise.</param>
    /// <param name="seeded">How long it has seeded so far: its time limit counts down from it.</param>
    public static IRenderable Render(string title, DownloadProgress p, int width, bool verbose, bool unicode, SeedPlan? seeding = null,
        TimeSpan seeded = default)
    {
        // The last columns stay free: a terminal wraps a row that fills its width, which breaks the redraw, and at
        // Ctrl-C it echoes "^C" where the cursor rests, at the end of the last row.
        var max = Math.Max(8, width - 3);
        var rows = new List<IRenderable>();
        if (seeding is not null && IsSeeding(p))
            rows.AddRange([SeedingRow(UntrustedText.Clean(title), p, seeding, max, unicode), SeedingDetailRow(p, seeding, seeded, max, unicode)]);
        else
        {
            rows.Add(ProgressRow(UntrustedText.Clean(title), p, max, unicode));
            rows.AddRange(DetailRows(p, max, unicode));
        }
        if (verbose)
        {
            foreach (var peer in p.Peers.Take(MaxPeerRows))
                rows.Add(new Text(Fit(PeerRow(peer), max, unicode), new Style(Color.Grey)));
            if (p.Peers.Count > MaxPeerRows)
                rows.Add(new Text(Fit($"  and {Units.Count(p.Peers.Count - MaxPeerRows, "more peer")}", max, unicode), new Style(Color.Grey)));
        }
        return new Rows(rows);
    }

    /// <summary>True once every wanted piece is in: a download that seeds afterwards is seeding.</summary>
    public static bool IsSeeding(DownloadProgress p) => p.PieceCount > 0 && p.PiecesDone >= p.PieceCount;

    /// <summary>The rows while data on disk is re-hashed: the checking line, and why it happens.</summary>
    public static IRenderable RenderChecking(string title, long done, long total, int width) => new Rows(
        new Text(new CheckingLine(title, total, null, width).Text(done, width)),
        new Text(Fit("  re-hashing the data already on disk (no trusted resume ledger)", Math.Max(8, width - 3)), new Style(Color.Grey)));

    /// <summary>Row 1 while seeding: the word, the name, what was uploaded, the ratio and the upload rate.</summary>
    private static Markup SeedingRow(string title, DownloadProgress p, SeedPlan plan, int max, bool unicode)
    {
        var stats = $"uploaded {Units.Bytes(p.Uploaded)}{Gap}ratio {plan.ShowRatio(p.Uploaded)}{Gap}up {Units.Rate(p.UploadRate)}";
        var room = max - Cells(stats) - "seeding ".Length - 1;
        if (room < 4) return new Markup(Markup.Escape(Fit($"seeding {stats}", max, unicode)));
        return new Markup($"[green]seeding[/] {Markup.Escape(Fit(title, room, unicode))} {Markup.Escape(stats)}");
    }

    /// <summary>Row 2 while seeding: peers, and what ends the seeding, its time limit counting down.</summary>
    private static Markup SeedingDetailRow(DownloadProgress p, SeedPlan plan, TimeSpan seeded, int max, bool unicode) =>
        new($"[grey]{Markup.Escape(Fit($"  {p.PiecesDone}/{p.PieceCount} pieces, {Units.Count(p.ConnectedPeers, "peer")} -- seeding {plan.Ends(seeded)}", max, unicode))}[/]");

    /// <summary>One peer's row under <c>-v</c>: address, client, rates, and whether it chokes us.</summary>
    public static string PeerRow(PeerProgress peer) =>
        $"  {peer.Address,-22} {UntrustedText.Clean(peer.Client, 16),-16} down {Units.Rate(peer.DownloadRate)} up {Units.Rate(peer.UploadRate)}" +
        (peer.PeerChoking ? " choked" : "");

    private static Markup ProgressRow(string title, DownloadProgress p, int max, bool unicode)
    {
        var percent = string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(p.Fraction * 100),3:0}%");
        // Dropped from the right, least useful first, until the name and a bar fit.
        var stats = new List<string> { $"{Units.Bytes(p.BytesDone)}/{Units.Bytes(p.TotalBytes)}", Units.Rate(p.DownloadRate), $"ETA {Units.Duration(p.Eta)}" };
        int room;
        while ((room = max - Cells(Stats(percent, stats)) - 1) < MinBar + 4 && stats.Count > 0) stats.RemoveAt(stats.Count - 1);
        var right = Stats(percent, stats);
        if (room < MinBar + 4)
            return new Markup(Markup.Escape(Fit($"{title} {right}", max, unicode)));
        var bar = Math.Clamp(room - Cells(title) - 1, MinBar, MaxBar);
        var name = Fit(title, room - bar - 1, unicode);
        var filled = (int)Math.Round(bar * p.Fraction);
        var (on, off) = unicode ? ('━', '─') : ('#', '-');
        return new Markup($"{Markup.Escape(name)} [green]{new string(on, filled)}[/][grey]{new string(off, bar - filled)}[/] {Markup.Escape(right)}");
    }

    private static string Stats(string percent, List<string> stats) => string.Join(Gap, [percent, .. stats]);

    /// <summary>Row 2 and the rows below it: the pieces, peers and upload in grey, then why nothing arrives (if it
    /// does not) in yellow, wrapped.</summary>
    private static IEnumerable<IRenderable> DetailRows(DownloadProgress p, int max, bool unicode)
    {
        var facts = $"  {p.PiecesDone}/{p.PieceCount} pieces, {UntrustedText.Clean(p.CurrentPeer ?? Units.Count(p.ConnectedPeers, "peer"))}" +
                    (p.UploadRate > 0 ? $", up {Units.Rate(p.UploadRate)}" : "");
        if (p.Status is not { } status)
        {
            yield return new Markup($"[grey]{Markup.Escape(Fit(facts, max, unicode))}[/]");
            yield break;
        }
        var lines = Wrap($"{facts} -- {UntrustedText.Clean(status, 1000)}", max, MaxStatusRows, unicode);
        var first = lines[0];
        yield return first.StartsWith(facts, StringComparison.Ordinal)
            ? new Markup($"[grey]{Markup.Escape(facts)}[/][yellow]{Markup.Escape(first[facts.Length..])}[/]")
            : new Text(first, new Style(Color.Yellow));
        foreach (var line in lines.Skip(1)) yield return new Text(line, new Style(Color.Yellow));
    }

    /// <summary><paramref name="text"/> broken at spaces into rows of at most <paramref name="cells"/> columns (a word
    /// longer than a row is cut), continuation rows indented; at most <paramref name="maxRows"/> rows, the last ending in
    /// an ellipsis when more was left.</summary>
    public static List<string> Wrap(string text, int cells, int maxRows, bool unicode = true)
    {
        const string indent = "     "; // continuation rows, indented under the first row's text
        var rows = new List<string>();
        var rest = text;
        while (rest.Length > 0 && rows.Count < maxRows)
        {
            var prefix = rows.Count == 0 ? "" : indent;
            var room = Math.Max(1, cells - prefix.Length);
            if (Cells(rest) <= room) { rows.Add(prefix + rest); rest = ""; break; }
            var end = rest.Length;
            while (end > 0 && Cells(rest.AsSpan(0, end)) > room) end--;
            var space = rest[end] == ' ' ? end : rest.LastIndexOf(' ', Math.Max(0, end - 1), end);
            var cut = space > 8 ? space : Math.Max(1, end); // a word longer than most of a row is cut, not moved
            rows.Add(prefix + rest[..cut].TrimEnd());
            rest = rest[cut..].TrimStart();
        }
        if (rest.Length > 0 && rows.Count > 0)
            rows[^1] = Fit(rows[^1] + " " + rest, cells, unicode);
        return rows;
    }

    /// <summary><paramref name="text"/> cut to <paramref name="cells"/> terminal columns, ending in an ellipsis when cut.</summary>
    public static string Fit(string text, int cells, bool unicode = true)
    {
        if (Cells(text) <= cells) return text;
        var ellipsis = unicode ? "…" : "~";
        var end = text.Length;
        while (end > 0 && Cells(text.AsSpan(0, end)) + 1 > cells) end--;
        if (end > 0 && char.IsHighSurrogate(text[end - 1])) end--; // never half a character
        return cells <= 0 ? "" : text[..end] + ellipsis;
    }

    /// <summary>Terminal columns <paramref name="text"/> takes: two for East Asian wide characters, one for the rest
    /// (a combining mark is counted as one: an overestimate, which only cuts a little early).</summary>
    public static int Cells(ReadOnlySpan<char> text)
    {
        var cells = 0;
        foreach (var c in text) cells += IsWide(c) ? 2 : 1;
        return cells;
    }

    private static bool IsWide(char c) => c is >= '\u1100' and <= '\u115f' or >= '\u2e80' and <= '\ua4cf'
        or >= '\uac00' and <= '\ud7a3' or >= '\uf900' and <= '\ufaff' or >= '\ufe30' and <= '\ufe4f'
        or >= '\uff00' and <= '\uff60' or >= '\uffe0' and <= '\uffe6';
}
