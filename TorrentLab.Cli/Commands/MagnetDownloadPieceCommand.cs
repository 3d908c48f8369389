using System.CommandLine;
using TorrentLab.Client;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab magnet_download_piece -o &lt;path&gt; "&lt;magnet link&gt;" &lt;index&gt;</c>: fetches the metadata
/// (BEP 9), then one verified piece with the reference download (a classroom stage).</summary>
internal static class MagnetDownloadPieceCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "File to write the piece to", Required = true };
        var uri = new Argument<string>("magnet") { Description = "The magnet link (quote it: it contains '&')" };
        var index = new Argument<int>("index") { Description = "Piece index, from 0" };
        var save = MagnetInfoCommand.SaveTorrentOption();
        var settings = new DownloadSettings();
        var command = new Command("magnet_download_piece", "Fetch a magnet link's metadata, then download one verified piece to a file.")
        {
            output, uri, index, save,
        };
        settings.AddTo(command);
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var (torrent, linkPeers) = await TorrentClient.OpenAsync(parse.GetValue(uri)!, parse.GetValue(save), settings.Log(parse), ct).ConfigureAwait(false);
            var piece = parse.GetValue(index);
            if (piece < 0 || piece >= torrent.PieceCount)
            {
                Console.Error.WriteLine($"error: piece index {piece} is out of range: the torrent has pieces 0..{torrent.PieceCount - 1}");
                return ExitCodes.Usage;
            }
            var path = Path.GetFullPath(parse.GetValue(output)!);
            var options = settings.Read(parse, Path.GetDirectoryName(path)!);
            options = options with { MaxPeers = 1, ExtraPeers = [.. linkPeers, .. options.ExtraPeers] };
            var bytes = await TorrentClient.DownloadPieceAsync(torrent, piece, options, ct).ConfigureAwait(false);
            await AtomicFile.WriteAsync(path, bytes, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Piece {piece} downloaded to {parse.GetValue(output)}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
