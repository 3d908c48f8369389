using System.CommandLine;

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
            var (link, torrent) = await MagnetInfoCommand.ResolveAsync(parse.GetValue(uri)!, parse.GetValue(save), settings.IsVerbose(parse), ct).ConfigureAwait(false);
            var target = Path.GetFullPath(parse.GetValue(output)!);
            if (torrent.IsMultiFile && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            {
                Console.Error.WriteLine($"error: {target} already exists and is not empty");
                return ExitCodes.Io;
            }
            // As 'download': a hidden staging folder with the resume ledger; only a verified download is moved into place.
            var staging = Path.Combine(Path.GetDirectoryName(target)!, $".torrentlab-{torrent.InfoHash.Hex[..12]}");
            Directory.CreateDirectory(staging);
            var options = settings.Read(parse, staging);
            options = options with { ExtraPeers = [.. link.Peers, .. options.ExtraPeers] };
            var result = await MainCommand.RunEngineAsync(torrent, options, settings.IsQuiet(parse), settings.IsVerbose(parse), ct).ConfigureAwait(false);
            var downloaded = Path.Combine(staging, torrent.Name);
            if (torrent.IsMultiFile)
            {
                if (Directory.Exists(target)) Directory.Delete(target); // empty, checked above
                Directory.Move(downloaded, target);
            }
            else
            {
                File.Move(downloaded, target, overwrite: true);
            }
            Directory.Delete(staging, recursive: true);
            Console.Out.WriteLine($"Downloaded {torrent.Name} to {parse.GetValue(output)}.");
            if (settings.IsVerbose(parse)) Console.Error.WriteLine(MainCommand.Summary(torrent, Path.GetDirectoryName(target)!, result));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
