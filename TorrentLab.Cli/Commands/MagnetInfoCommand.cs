using System.CommandLine;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab magnet_info "&lt;magnet link&gt;"</c>: fetches the metadata from peers (BEP 9) and prints what
/// <c>info</c> prints for a .torrent (a classroom stage).</summary>
internal static class MagnetInfoCommand
{
    public static Command Create()
    {
        var uri = new Argument<string>("magnet") { Description = "The magnet link (quote it: it contains '&')" };
        var save = SaveTorrentOption();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log what each peer did" };
        var command = new Command("magnet_info", "Fetch a magnet link's metadata from peers and show it like 'info'.") { uri, save, verbose };
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var (_, torrent) = await ResolveAsync(parse.GetValue(uri)!, parse.GetValue(save), parse.GetValue(verbose), ct).ConfigureAwait(false);
            Console.Out.Write(InfoCommand.Text(InfoReport.From(torrent)));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary><c>--save-torrent</c>: where to write the .torrent built from the fetched metadata.</summary>
    internal static Option<string?> SaveTorrentOption() =>
        new("--save-torrent") { Description = "Also write the .torrent built from the fetched metadata to this path" };

    /// <summary>Parses the link, finds peers, fetches and verifies the metadata, and returns the torrent (with the
    /// link's trackers as its announce URLs); writes it to <paramref name="savePath"/> when given.</summary>
    internal static async Task<(MagnetLink Link, Torrent Torrent)> ResolveAsync(string uri, string? savePath, bool verbose, CancellationToken ct)
    {
        var link = MagnetLink.Parse(uri);
        if (link.IsV2Only)
            throw new NotSupportedException("fetching metadata for a v2-only magnet link (BEP 52 'urn:btmh:' alone) is not supported: it is checked by SHA-256, not SHA-1");
        var ourId = PeerId.CreateOurs();
        Action<string>? log = verbose ? line => Console.Error.WriteLine(line) : null;
        var peers = await MagnetPeers.FindAsync(link, ourId, 6881, log, ct).ConfigureAwait(false);
        var raw = await MetadataFetcher.FetchAsync(link, ourId, peers, new MetadataFetchOptions { Log = log }, ct).ConfigureAwait(false);
        var file = MagnetTorrentFile.Build(link, raw);
        if (savePath is not null) await AtomicFile.WriteAsync(Path.GetFullPath(savePath), file, ct).ConfigureAwait(false);
        return (link, Torrent.Parse(file));
    }
}
