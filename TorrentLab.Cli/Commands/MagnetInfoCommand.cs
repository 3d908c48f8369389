using System.CommandLine;
using TorrentLab.Cli.Display;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Wire;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab magnet_info "&lt;magnet link&gt;"</c>: fetches the metadata from peers (BEP 9) and prints what
/// <c>info</c> prints for a .torrent (a classroom stage).</summary>
internal static class MagnetInfoCommand
{
    public static Command Create()
    {
        var uri = CommandParts.MagnetArgument();
        var save = SaveTorrentOption();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log what each peer did" };
        var noDht = DownloadSettings.NoDhtOption();
        var bootstrap = DownloadSettings.DhtBootstrapOption();
        var stall = DownloadSettings.StallTimeoutOption(
            $"Give up after this long without the metadata, e.g. 90s, 5m (a bare number is seconds; default {DownloadSettings.ClassroomStall.TotalSeconds:0}s)");
        var command = new Command("magnet_info", "Fetch a magnet link's metadata from peers and show it like 'info'.") { uri, save, verbose, noDht, bootstrap, stall };
        return command.WithAction(async (parse, ct) =>
        {
            var options = new DownloadOptions
            {
                OutputDirectory = ".", // not used: only the metadata is fetched
                Session = new SessionSettings
                {
                    Dht = !parse.GetValue(noDht),
                    DhtBootstrap = DownloadSettings.ReadBootstrap(parse.GetValue(bootstrap)),
                    LoggerFactory = parse.GetValue(verbose) ? new LineLogger(line => Console.Error.WriteLine(UntrustedText.Clean(line, 1000))) : null,
                },
                // Ends, as the other classroom commands do; each round without the metadata says why on stderr.
                StallTimeout = parse.GetValue(stall) ?? DownloadSettings.ClassroomStall,
                Waiting = parse.GetValue(verbose) ? null : line => Console.Error.WriteLine(UntrustedText.Clean(line, 1000)),
            };
            CommandParts.RequirePeerSource(parse.GetValue(uri)!, options.Session.Dht);
            var (torrent, _, _) = await TorrentClient.OpenAsync(parse.GetValue(uri)!, options, parse.GetValue(save), ct).ConfigureAwait(false);
            Console.Out.Write(InfoCommand.Text(InfoReport.From(torrent)));
            return ExitCodes.Ok;
        });
    }

    /// <summary><c>--save-torrent</c>: where to write the .torrent built from the fetched metadata.</summary>
    internal static Option<string?> SaveTorrentOption() =>
        new Option<string?>("--save-torrent") { Description = "Also write the .torrent built from the fetched metadata to this path" }.FileNotFolder();
}
