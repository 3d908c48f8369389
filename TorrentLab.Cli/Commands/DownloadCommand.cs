using System.CommandLine;
using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab download -o &lt;path&gt; &lt;file.torrent&gt;</c>: the classroom shape, where <c>-o</c> names the
/// file itself (single-file torrent) or the folder that becomes the torrent's top folder (multi-file).</summary>
/// <remarks>The download runs in a hidden staging folder beside the target, with its resume ledger, so an
/// interrupted run resumes; only a complete, verified download is moved into place.</remarks>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "Where to write: the file (single-file torrent) or folder (multi-file)", Required = true };
        var torrent = new Argument<string>("torrent") { Description = "The .torrent file" };
        var settings = new DownloadSettings();
        var command = new Command("download", "Download a torrent to the given path (the classroom shape).") { output, torrent };
        settings.AddTo(command);
        command.SetAction((parse, ct) => CliErrors.GuardAsync(() =>
            RunStagedAsync(Torrent.Load(parse.GetValue(torrent)!), parse.GetValue(output)!, parse.GetValue(torrent)!, settings, parse, [], ct), ct));
        return command;
    }

    /// <summary>Downloads into a hidden staging folder beside <paramref name="output"/>, then moves the verified file
    /// (or top folder) into place; shared by <c>download</c> and <c>magnet_download</c>.</summary>
    internal static async Task<int> RunStagedAsync(Torrent loaded, string output, string source, DownloadSettings settings,
        ParseResult parse, IReadOnlyList<IPEndPoint> extraPeers, CancellationToken ct)
    {
        var target = Path.GetFullPath(output);
        // The result replaces the target only with --overwrite: a file already there may be the user's own.
        var inTheWay = loaded.IsMultiFile
            ? Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() || File.Exists(target)
            : File.Exists(target) || Directory.Exists(target);
        // A folder is never merged into or deleted wholesale, --overwrite or not.
        if (inTheWay && (loaded.IsMultiFile || !parse.GetValue(settings.Overwrite))) throw new ForeignFileException(output);
        if (inTheWay && Directory.Exists(target))
            throw new StorageException($"'{output}' is a directory; the torrent needs a file there");
        var staging = Path.Combine(Path.GetDirectoryName(target)!, $".torrentlab-{loaded.InfoHash.Hex[..12]}");
        Directory.CreateDirectory(staging);
        var options = settings.Read(parse, staging);
        options = options with { ExtraPeers = [.. extraPeers, .. options.ExtraPeers] };
        var result = await MainCommand.RunEngineAsync(loaded, options, settings.IsQuiet(parse), settings.IsVerbose(parse), ct).ConfigureAwait(false);

        var downloaded = Path.Combine(staging, loaded.Name);
        if (loaded.IsMultiFile)
        {
            if (Directory.Exists(target)) Directory.Delete(target); // empty, checked above
            Directory.Move(downloaded, target);
        }
        else
        {
            File.Move(downloaded, target, overwrite: true);
        }
        Directory.Delete(staging, recursive: true);
        Console.Out.WriteLine($"Downloaded {source} to {output}.");
        if (settings.IsVerbose(parse)) Console.Error.WriteLine(MainCommand.Summary(loaded, Path.GetDirectoryName(target)!, result));
        return ExitCodes.Ok;
    }
}
