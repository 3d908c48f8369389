using System.CommandLine;
using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab tracker --port 6969</c>: runs the embeddable HTTP + UDP tracker until Ctrl-C.</summary>
internal static class TrackerCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port for HTTP and UDP (0 picks a free one)", DefaultValueFactory = _ => 6969 }.Port();
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" }
            .Each(v => IPAddress.TryParse(v, out _) ? null : $"--host must be an IP address, got '{v}'");
        var allow = new Option<string[]>("--allow") { Description = "Track only these torrents (repeat the option for several)" }
            .Each(v => File.Exists(v) ? null : $"--allow expects a .torrent file, got '{v}'{(Directory.Exists(v) ? " (a folder)" : " (no such file)")}");
        var interval = new Option<int>("--interval") { Description = "Announce interval in seconds sent to clients", DefaultValueFactory = _ => 1800 }.InRange(1, int.MaxValue, "seconds");
        var peerTimeout = new Option<int?>("--peer-timeout")
        {
            Description = "Seconds a peer that stops announcing stays listed (default: the longer of 2 x --interval and 2700, " +
                "as clients such as libtorrent announce at most every 300 s whatever the interval)",
        }.InRange(1, int.MaxValue, "seconds");
        var maxTorrents = new Option<int>("--max-torrents-per-address")
        {
            Description = "Most torrents one address (an IPv6 /64) may start, torrents held because it announced them first; " +
                "past it a new one is refused with a failure reason",
            DefaultValueFactory = _ => new TrackerServerOptions().MaxTorrentsPerAddress,
        }.InRange(1, int.MaxValue, "torrents");
        var fullScrape = new Option<bool>("--full-scrape")
        {
            Description = "Answer /scrape without info_hash with the 1,000 torrents that have most peers (off: a failure reason)",
        };
        var quiet = new Option<bool>("--quiet") { Description = "Print no line per announce, scrape or rejected request (a busy tracker)" };
        var command = new Command("tracker", "Run a BitTorrent tracker (HTTP /announce and /scrape, UDP BEP 15) until Ctrl-C.")
        {
            port, host, allow, interval, peerTimeout, maxTorrents, fullScrape, quiet,
        };
        return command.WithAction(async (parse, ct) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
                throw new UsageException($"--host must be an IP address, got '{parse.GetValue(host)}'");
            var portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535) throw new UsageException($"--port must be between 0 and 65535, got {portValue}");
            var seconds = parse.GetValue(interval);
            if (seconds < 1) throw new UsageException($"--interval must be at least 1 second, got {seconds}");
            var timeout = parse.GetValue(peerTimeout);
            if (timeout is { } t && t < seconds)
                throw new UsageException($"--peer-timeout must be at least --interval ({seconds} s), or peers are forgotten before they announce again; got {t}");
            var allowed = parse.GetValue(allow) is { Length: > 0 } files
                ? files.Select(f => Torrent.Load(f).InfoHash).ToHashSet()
                : null;
            var options = new TrackerServerOptions
            {
                Host = address,
                Port = portValue,
                Interval = TimeSpan.FromSeconds(seconds),
                PeerTimeout = timeout is { } kept ? TimeSpan.FromSeconds(kept) : null,
                MaxTorrentsPerAddress = parse.GetValue(maxTorrents),
                AllowedInfoHashes = allowed,
                FullScrape = parse.GetValue(fullScrape),
                Log = parse.GetValue(quiet) ? null : line => Console.Out.WriteLine(line),
            };
            await using var server = await TrackerServer.StartAsync(options, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"tracker listening on {server.HttpAnnounceUrl} and {server.UdpAnnounceUrl}" +
                (allowed is null ? "" : $" ({allowed.Count} torrent(s) allowed)"));
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.Out.WriteLine("tracker stopped");
            }
            return ExitCodes.Ok;
        });
    }
}
