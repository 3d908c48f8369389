using System.CommandLine;
using TorrentLab.Metainfo;
using TorrentLab.Session;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab download_piece -o &lt;path&gt; &lt;file.torrent&gt; &lt;index&gt;</c>: writes exactly one verified
/// piece (a classroom stage).</summary>
internal static class DownloadPieceCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "File to write the piece to", Required = true };
        var torrent = new Argument<string>("torrent") { Description = "The .torrent file" };
        var index = new Argument<int>("index") { Description = "Piece index, from 0" };
        var settings = new DownloadSettings();
        var command = new Command("download_piece", "Download one piece, verify its SHA-1 and write it to a file.") { output, torrent, index };
        settings.AddTo(command);
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var loaded = Torrent.Load(parse.GetValue(torrent)!);
            loaded.RequireV1Hashes();
            var piece = parse.GetValue(index);
            if (piece < 0 || piece >= loaded.PieceCount)
            {
                Console.Error.WriteLine($"error: piece index {piece} is out of range: the torrent has pieces 0..{loaded.PieceCount - 1}");
                return ExitCodes.Usage;
            }
            var path = Path.GetFullPath(parse.GetValue(output)!);
            var options = settings.Read(parse, Path.GetDirectoryName(path)!) with { MaxPeers = 1 };
            var bytes = await ReferenceDownload.DownloadPieceAsync(loaded, piece, options, ct).ConfigureAwait(false);
            await AtomicFile.WriteAsync(path, bytes, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Piece {piece} downloaded to {parse.GetValue(output)}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
