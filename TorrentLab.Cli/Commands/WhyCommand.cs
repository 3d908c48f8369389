using System.CommandLine;
using System.Text.Json;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab why HASH [--url URL] [--token TOKEN]</c>: asks a running <c>torrentlab serve</c> why a torrent
/// makes progress or not (<c>GET /api/torrents/{hash}/why</c>) and prints the verdict and its findings.</summary>
internal static class WhyCommand
{
    public static Command Create()
    {
        var query = new ServeQuery();
        var command = query.Command("why", "Ask a running 'torrentlab serve' why a torrent makes progress or not: its trackers' last answers, "
            + "the DHT, whether our port was reached, and the peers tried with why each was dropped or refused.");
        return command.WithAction((parse, ct) => query.RunAsync(parse, "why", why => Print(why, Console.Out), ct));
    }

    /// <summary>The diagnosis in plain text: the verdict, then each group of findings, one per line.</summary>
    internal static void Print(JsonElement why, TextWriter output)
    {
        output.WriteLine($"{Text(why, "name")} ({Text(why, "infoHash")})");
        output.WriteLine($"verdict: {Text(why, "verdict")} [{Text(why, "cause")}]");
        Group(output, "trackers", why.GetProperty("trackers").EnumerateArray());
        if (why.TryGetProperty("dht", out var dht)) Group(output, "dht", [dht]);
        Group(output, "port", [why.GetProperty("reachability")]);
        Group(output, "peers", why.GetProperty("peers").EnumerateArray());
    }

    private static void Group(TextWriter output, string title, IEnumerable<JsonElement> findings)
    {
        var list = findings.ToList();
        output.WriteLine($"{title}:{(list.Count == 0 ? " none yet" : "")}");
        foreach (var f in list) output.WriteLine($"  {Text(f, "kind"),-18} {Text(f, "subject")}: {Text(f, "text")}");
    }

    private static string Text(JsonElement element, string name) => ServeQuery.Text(element, name);
}
