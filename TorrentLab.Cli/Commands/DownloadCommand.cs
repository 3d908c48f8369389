using System.CommandLine;
using TorrentLab.Cli.Display;
using TorrentLab.Client;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab download -o &lt;path&gt; &lt;file.torrent&gt;</c> (or <c>download &lt;file.torrent&gt;
/// &lt;path&gt;</c>) and <c>magnet_download -o &lt;path&gt;
/// "&lt;magnet link&gt;"</c>: the classroom shape, where <c>-o</c> names the file itself (single-file torrent) or the
/// folder that becomes the torrent's top folder (multi-file); the magnet shape fetches the metadata first (BEP 9).</summary>
/// <remarks>The download runs in a hidden staging folder beside the target, with its resume ledger, so an
/// interrupted run resumes; only a complete, verified download is moved into place (the front door's
/// <see cref="TorrentClient.DownloadToAsync"/>).</remarks>
internal static class DownloadCommand
{
    public static Command Create(bool magnet)
    {
        var source = new ClassroomSource(magnet, "Where to write: the file (single-file torrent) or folder (multi-file)");
        var settings = source.Settings;
        // The seed projects' shape, download TORRENT OUTPUT, beside the classroom's download -o OUTPUT TORRENT: the
        // same setting, given one way or the other (both, or neither, is a usage error).
        var outputArgument = new Argument<string?>("output")
        {
            Description = "Where to write, as -o (download TORRENT OUTPUT)",
            Arity = ArgumentArity.ZeroOrOne,
        }.NotAnOption();
        source.Output.Required = false;
        var command = source.Command("download", magnet
            ? "Fetch a magnet link's metadata, then download the torrent to the given path."
            : "Download a torrent to the given path (the classroom shape).", outputArgument);
        command.Validators.Add(result =>
        {
            if (result.GetResult(source.Output) is not null && result.GetValue(outputArgument) is not null)
                result.AddError("give the output once: -o PATH or a second argument, not both");
        });
        return command.WithAction(async (parse, ct) =>
        {
            var output = parse.GetValue(source.Output) ?? parse.GetValue(outputArgument)
                ?? throw new UsageException("give where to write: -o PATH, or the path after the torrent");
            var opened = await source.OpenAsync(parse, ct).ConfigureAwait(false);
            var torrent = opened.Torrent;
            var target = Path.GetFullPath(output);
            var options = source.Options(parse, opened, TorrentClient.StagingFolder(torrent, target));
            var view = new ProgressView(settings.IsQuiet(parse), settings.IsVerbose(parse));
            options = options with { Checking = view.Checking(torrent.TotalLength) };
            // A run that fails with nothing to resume leaves no staging folder behind (the front door removes it).
            var result = await view.RunAsync(torrent.Name,
                progress => TorrentClient.DownloadToAsync(torrent, target, options, progress, ct),
                ProgressView.Saved(options.OutputDirectory, options.Resume), ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Downloaded {(magnet ? torrent.Name : parse.GetValue(source.Source))} to {output}.");
            if (settings.IsVerbose(parse))
            {
                Console.Error.WriteLine(MainCommand.Summary(torrent, Path.GetDirectoryName(target)!, result));
                Console.Error.WriteLine(result.PeerSources);
            }
            return ExitCodes.Ok;
        });
    }
}
