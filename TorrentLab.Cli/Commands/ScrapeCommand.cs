using System.CommandLine;
using System.Text.Json;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab scrape &lt;file.torrent&gt;</c>: asks the tracker for seeders, leechers and completed downloads.</summary>
internal static class ScrapeCommand
{
    public static Command Create()
    {
        var shared = new TrackerCommandOptions();
        var command = shared.Command("scrape", "Ask the torrent's tracker how many seeders and leechers it knows (BEP 48, BEP 15).");
        return command.WithAction(async (parse, ct) =>
        {
            var (torrent, client) = shared.Open(parse);
            var result = await client.ScrapeAsync(torrent.InfoHash, ct).ConfigureAwait(false);
            if (parse.GetValue(shared.Json))
            {
                var body = new ScrapeJson(torrent.InfoHash.Hex, result.Seeders, result.Leechers, result.Completed);
                Console.Out.WriteLine(JsonSerializer.Serialize(body, TrackerJsonContext.Default.ScrapeJson));
            }
            else
            {
                Console.Out.WriteLine($"seeders: {result.Seeders}");
                Console.Out.WriteLine($"leechers: {result.Leechers}");
                Console.Out.WriteLine($"completed: {result.Completed}");
            }
            return ExitCodes.Ok;
        });
    }
}
