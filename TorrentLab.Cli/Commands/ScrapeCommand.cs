using System.CommandLine;
using System.Text.Json;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab scrape &lt;file.torrent&gt;</c>: asks the tracker for seeders, leechers and completed downloads.</summary>
internal static class ScrapeCommand
{
    public static Command Create()
    {
        var file = TrackerCommandOptions.TorrentArgument();
        var tracker = TrackerCommandOptions.TrackerOption();
        var json = TrackerCommandOptions.JsonOption();
        var timeout = TrackerCommandOptions.TimeoutOption();
        var command = new Command("scrape", "Ask the torrent's tracker how many seeders and leechers it knows (BEP 48, BEP 15).")
        {
            file, tracker, json, timeout,
        };
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var torrent = Torrent.Load(parse.GetValue(file)!);
            var client = TrackerCommandOptions.CreateClient(torrent, parse.GetValue(tracker), parse.GetValue(timeout));
            var result = await client.ScrapeAsync(torrent.InfoHash, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
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
        }, ct));
        return command;
    }
}
