using System.CommandLine;
using TorrentLab.Client;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab magnet_download -o &lt;path&gt; "&lt;magnet link&gt;"</c>: fetches the metadata (BEP 9), then
/// downloads the whole torrent to the path, as <c>download</c> does for a .torrent (a classroom stage).</summary>
internal static class MagnetDownloadCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "Where to write: the file (single-file torrent) or folder (multi-file)", Required = true };
        var uri = new Argument<string>("magnet") { Description = "The magnet link (quote it: it contains '&')" };
        var save = MagnetInfoCommand.SaveTorrentOption();
        var settings = new DownloadSettings();
        var command = new Command("magnet_download", "Fetch a magnet link's metadata, then download the torrent to the given path.") { output, uri, save };
        settings.AddTo(command);
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var (torrent, peers) = await TorrentClient.OpenAsync(parse.GetValue(uri)!, parse.GetValue(save), settings.Log(parse), ct).ConfigureAwait(false);
            return await DownloadCommand.RunStagedAsync(torrent, parse.GetValue(output)!, torrent.Name, settings, parse, peers, ct).ConfigureAwait(false);
        }, ct));
        return command;
    }
}
