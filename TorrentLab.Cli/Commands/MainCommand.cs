using System.CommandLine;
using TorrentLab.Cli.Display;
using TorrentLab.Metainfo;
using TorrentLab.Session;

namespace TorrentLab.Cli.Commands;

/// <summary>The main use, on the root command: <c>torrentlab file.torrent --output downloads [--no-resume]</c>.</summary>
internal static class MainCommand
{
    /// <summary>Adds the torrent argument, the download options and the action to the root command.</summary>
    public static void AttachTo(RootCommand root)
    {
        var torrent = new Argument<string?>("torrent") { Description = "The .torrent file to download", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string>("--output", "-o") { Description = "Folder to download into (default: the current folder)", DefaultValueFactory = _ => "." };
        var settings = new DownloadSettings();
        root.Arguments.Add(torrent);
        root.Options.Add(output);
        settings.AddTo(root);
        root.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var path = parse.GetValue(torrent);
            if (path is null)
            {
                Console.Error.WriteLine("error: give a .torrent file to download, or a command (see 'torrentlab --help')");
                return ExitCodes.Usage;
            }
            var options = settings.Read(parse, Path.GetFullPath(parse.GetValue(output)!));
            Directory.CreateDirectory(options.OutputDirectory);
            var loaded = Torrent.Load(path);
            var result = await RunEngineAsync(loaded, options, settings.IsQuiet(parse), settings.IsVerbose(parse), ct).ConfigureAwait(false);
            Console.Out.WriteLine(Summary(loaded, options.OutputDirectory, result));
            return ExitCodes.Ok;
        }, ct));
    }

    /// <summary>Runs the download engine the options ask for, with the progress display.</summary>
    public static Task<DownloadResult> RunEngineAsync(Torrent torrent, DownloadOptions options, bool quiet, bool verbose, CancellationToken ct) =>
        new ProgressView(quiet, verbose).RunAsync(torrent.Name, progress =>
            ReferenceDownload.RunAsync(torrent, options, progress, ct));

    /// <summary>The closing line: what was downloaded, where, how fast, and from whom.</summary>
    public static string Summary(Torrent torrent, string folder, DownloadResult result)
    {
        var line = $"downloaded '{torrent.Name}' ({Units.Bytes(torrent.TotalLength)}) to {Path.Combine(folder, torrent.Name)} " +
                   $"in {result.Elapsed.TotalSeconds:0.0} s ({Units.Rate(result.AverageRate)}); " +
                   $"received {result.Downloaded} bytes from {result.PeersUsed.Count} peer(s)";
        if (result.PiecesFromResume > 0) line += $"; {result.PiecesFromResume} of {torrent.PieceCount} pieces were already on disk";
        if (result.BadPeers.Count > 0) line += $"; dropped {result.BadPeers.Count} bad peer(s): {string.Join("; ", result.BadPeers)}";
        return line;
    }
}
