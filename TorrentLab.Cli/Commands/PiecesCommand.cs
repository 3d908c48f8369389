using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab pieces HASH [--url URL] [--token TOKEN]</c>: asks a running <c>torrentlab serve</c> for a
/// torrent's piece map (<c>GET /api/torrents/{hash}/pieces</c>) and prints it as text: a character per piece, and under
/// each row, while the torrent runs, how many connected peers have each piece, and the letter of the peer that sent
/// each verified piece (a legend names them); then the pieces of each file.</summary>
internal static class PiecesCommand
{
    /// <summary>Pieces per printed row (each row starts with its first piece's index).</summary>
    internal const int PerRow = 64;

    /// <summary>The letters that name senders, in the order the server lists them; later senders all print as '?'.</summary>
    private const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    public static Command Create()
    {
        var query = new ServeQuery();
        var command = query.Command("pieces", "Print a running 'torrentlab serve' torrent's piece map: each piece verified (#), requested (r), "
            + "failed (x) or missing (.), how many connected peers have each (0-9, + for ten or more) while it runs, the letter of the peer "
            + "that sent each verified piece (lower case: several peers, this one most), and each file's pieces.");
        return command.WithAction((parse, ct) => query.RunAsync(parse, "pieces", map => Print(map, Console.Out), ct));
    }

    /// <summary>The map in plain text.</summary>
    internal static void Print(JsonElement map, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        var states = ServeQuery.Text(map, "states");
        int[]? availability = map.TryGetProperty("availability", out var a) && a.ValueKind == JsonValueKind.Array
            ? [.. a.EnumerateArray().Select(e => e.GetInt32())] : null;
        if (availability is not null && availability.Length != states.Length) availability = null; // not this map's
        var (senders, sentBy, several) = SendersOf(map, states.Length);
        output.WriteLine($"{ServeQuery.Text(map, "name")} ({ServeQuery.Text(map, "infoHash")})");
        output.WriteLine(string.Create(inv,
            $"{states.Length} pieces of {map.GetProperty("pieceLength").GetInt64() / 1024.0:0.#} KiB: {Count(map, "verified")} verified, {Count(map, "requested")} requested, "
            + $"{Count(map, "failed")} failed, {Count(map, "missing")} missing"));
        output.WriteLine(availability is null
            ? "#: verified  r: requested  x: failed  .: missing  (peers per piece: only while it runs)"
            : "#: verified  r: requested  x: failed  .: missing  (the row below: connected peers that have each piece)");
        if (sentBy is not null)
        {
            output.WriteLine($"sent by (the {(availability is null ? "row" : "second row")} below: the peer whose blocks completed each verified piece; lower case: several peers sent blocks, this one most):");
            for (var r = 0; r < Math.Min(senders.Count, Letters.Length); r++)
                output.WriteLine(string.Create(inv, $"  {Letters[r]} {senders[r].Address}{(senders[r].Client is { Length: > 0 } c ? $" ({c})" : "")}: {senders[r].Pieces} piece{(senders[r].Pieces == 1 ? "" : "s")}"));
            if (senders.Count > Letters.Length) output.WriteLine(string.Create(inv, $"  ? {senders.Count - Letters.Length} more peers"));
        }
        var width = Math.Max(1, (states.Length - 1).ToString(inv).Length);
        for (var first = 0; first < states.Length; first += PerRow)
        {
            var row = new StringBuilder(PerRow);
            var peers = new StringBuilder(PerRow);
            var from = new StringBuilder(PerRow);
            for (var i = first; i < Math.Min(states.Length, first + PerRow); i++)
            {
                row.Append(states[i] switch { '2' => '#', '1' => 'r', '3' => 'x', _ => '.' });
                if (availability is not null) peers.Append(availability[i] >= 10 ? '+' : (char)('0' + availability[i]));
                if (sentBy is not null) from.Append(LetterOf(sentBy[i], several.Contains(i)));
            }
            output.WriteLine($"{first.ToString(inv).PadLeft(width)}  {row}");
            if (availability is not null) output.WriteLine($"{new string(' ', width)}  {peers}");
            if (sentBy is not null) output.WriteLine($"{new string(' ', width)}  {from}");
        }
        PrintMoments(map, output);
        if (!map.TryGetProperty("files", out var files)) return; // a replayed recording keeps no files
        output.WriteLine("files:");
        foreach (var f in files.EnumerateArray())
        {
            int firstPiece = f.GetProperty("firstPiece").GetInt32(), lastPiece = f.GetProperty("lastPiece").GetInt32();
            var verified = 0;
            for (var i = Math.Max(0, firstPiece); i <= lastPiece && i < states.Length; i++) if (states[i] == '2') verified++;
            var span = lastPiece < firstPiece ? "no piece (empty)" : firstPiece == lastPiece ? $"piece {firstPiece}" : $"pieces {firstPiece}-{lastPiece}";
            output.WriteLine(string.Create(inv, $"  {f.GetProperty("index").GetInt32(),3} {ServeQuery.Text(f, "path")}: {span}, {verified} of {Math.Max(0, lastPiece - firstPiece + 1)} verified"));
        }
    }

    /// <summary>Moments the engine changed its mode shown at most (the newest).</summary>
    internal const int MomentsShown = 10;

    /// <summary>The newest moments the engine changed its mode, oldest first, a line each, when the server sent any.</summary>
    private static void PrintMoments(JsonElement map, TextWriter output)
    {
        if (!map.TryGetProperty("moments", out var m) || m.ValueKind != JsonValueKind.Array || m.GetArrayLength() == 0) return;
        var all = m.EnumerateArray().ToList();
        output.WriteLine(all.Count > MomentsShown ? $"moments (the last {MomentsShown} of {all.Count}):" : "moments:");
        foreach (var e in all.Skip(Math.Max(0, all.Count - MomentsShown)))
        {
            var at = e.TryGetProperty("at", out var t) && t.TryGetDateTimeOffset(out var when) ? when.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) : "--:--:--";
            var peer = ServeQuery.Text(e, "peer");
            int piece = e.TryGetProperty("piece", out var p) ? p.GetInt32() : -1, left = e.TryGetProperty("piecesLeft", out var l) ? l.GetInt32() : 0;
            var what = ServeQuery.Text(e, "kind") switch
            {
                "endgame" => string.Create(CultureInfo.InvariantCulture, $"end game began: {left} piece{(left == 1 ? "" : "s")} left, every missing block asked of someone (found asking {peer})"),
                "unchoke" => $"choke round: unchoked {peer}",
                "choke" => $"choke round: choked {peer}",
                "reveal" => string.Create(CultureInfo.InvariantCulture, $"super-seeding revealed piece {piece} to {peer}"),
                "rarest" => string.Create(CultureInfo.InvariantCulture, $"rarest first began: the first pieces were picked at random; {left} left (first for {peer})"),
                var other => $"{other} {peer}",
            };
            output.WriteLine($"  {at} {what}");
        }
    }

    /// <summary>The letter of a piece's sender: '.' when none is known, '?' past the letters, lower case for several.</summary>
    private static char LetterOf(int row, bool several) =>
        row < 0 ? '.' : row >= Letters.Length ? '?' : several ? char.ToLowerInvariant(Letters[row]) : Letters[row];

    /// <summary>The senders' table and each piece's row of it, when the server sent them for this map.</summary>
    private static (List<(string Address, string? Client, int Pieces)> Senders, int[]? SentBy, HashSet<int> Several) SendersOf(JsonElement map, int count)
    {
        var senders = new List<(string, string?, int)>();
        if (!map.TryGetProperty("senders", out var s) || s.ValueKind != JsonValueKind.Array
            || !map.TryGetProperty("sentBy", out var b) || b.ValueKind != JsonValueKind.Array || b.GetArrayLength() != count)
            return (senders, null, []);
        foreach (var sender in s.EnumerateArray())
        {
            var client = sender.TryGetProperty("client", out var c) && c.ValueKind == JsonValueKind.String ? ServeQuery.Text(sender, "client") : null;
            senders.Add((ServeQuery.Text(sender, "address"), client, sender.TryGetProperty("pieces", out var n) ? n.GetInt32() : 0));
        }
        int[] sentBy = [.. b.EnumerateArray().Select(e => e.GetInt32() is var row && row < senders.Count ? row : -1)];
        HashSet<int> several = map.TryGetProperty("sentBySeveral", out var v) && v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray().Select(e => e.GetInt32())] : [];
        return (senders, sentBy, several);
    }

    private static int Count(JsonElement map, string name) => map.TryGetProperty(name, out var v) ? v.GetInt32() : 0;
}
