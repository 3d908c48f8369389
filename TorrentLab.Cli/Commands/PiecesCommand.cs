using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab pieces HASH [--url URL] [--token TOKEN]</c>: asks a running <c>torrentlab serve</c> for a
/// torrent's piece map (<c>GET /api/torrents/{hash}/pieces</c>) and prints it as text: a character per piece, and under
/// each row, while the torrent runs, how many connected peers have each piece; then the pieces of each file.</summary>
internal static class PiecesCommand
{
    /// <summary>Pieces per printed row (each row starts with its first piece's index).</summary>
    internal const int PerRow = 64;

    public static Command Create()
    {
        var query = new ServeQuery();
        var command = query.Command("pieces", "Print a running 'torrentlab serve' torrent's piece map: each piece verified (#), requested (r), "
            + "failed (x) or missing (.), how many connected peers have each (0-9, + for ten or more) while it runs, and each file's pieces.");
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
        output.WriteLine($"{ServeQuery.Text(map, "name")} ({ServeQuery.Text(map, "infoHash")})");
        output.WriteLine(string.Create(inv,
            $"{states.Length} pieces of {map.GetProperty("pieceLength").GetInt64() / 1024.0:0.#} KiB: {Count(map, "verified")} verified, {Count(map, "requested")} requested, "
            + $"{Count(map, "failed")} failed, {Count(map, "missing")} missing"));
        output.WriteLine(availability is null
            ? "#: verified  r: requested  x: failed  .: missing  (peers per piece: only while it runs)"
            : "#: verified  r: requested  x: failed  .: missing  (the row below: connected peers that have each piece)");
        var width = Math.Max(1, (states.Length - 1).ToString(inv).Length);
        for (var first = 0; first < states.Length; first += PerRow)
        {
            var row = new StringBuilder(PerRow);
            var peers = new StringBuilder(PerRow);
            for (var i = first; i < Math.Min(states.Length, first + PerRow); i++)
            {
                row.Append(states[i] switch { '2' => '#', '1' => 'r', '3' => 'x', _ => '.' });
                if (availability is not null) peers.Append(availability[i] >= 10 ? '+' : (char)('0' + availability[i]));
            }
            output.WriteLine($"{first.ToString(inv).PadLeft(width)}  {row}");
            if (availability is not null) output.WriteLine($"{new string(' ', width)}  {peers}");
        }
        output.WriteLine("files:");
        foreach (var f in map.GetProperty("files").EnumerateArray())
        {
            int firstPiece = f.GetProperty("firstPiece").GetInt32(), lastPiece = f.GetProperty("lastPiece").GetInt32();
            var verified = 0;
            for (var i = Math.Max(0, firstPiece); i <= lastPiece && i < states.Length; i++) if (states[i] == '2') verified++;
            var span = lastPiece < firstPiece ? "no piece (empty)" : firstPiece == lastPiece ? $"piece {firstPiece}" : $"pieces {firstPiece}-{lastPiece}";
            output.WriteLine(string.Create(inv, $"  {f.GetProperty("index").GetInt32(),3} {ServeQuery.Text(f, "path")}: {span}, {verified} of {Math.Max(0, lastPiece - firstPiece + 1)} verified"));
        }
    }

    private static int Count(JsonElement map, string name) => map.TryGetProperty(name, out var v) ? v.GetInt32() : 0;
}
