using System.CommandLine;
using TorrentLab.Client;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab download_piece -o &lt;path&gt; &lt;file.torrent&gt; &lt;index&gt;</c> and
/// <c>magnet_download_piece -o &lt;path&gt; "&lt;magnet link&gt;" &lt;index&gt;</c>: write exactly one verified piece
/// (classroom stages; the magnet shape fetches the metadata first, BEP 9).</summary>
internal static class DownloadPieceCommand
{
    public static Command Create() => Create(magnet: false);

    public static Command Create(bool magnet)
    {
        var source = new ClassroomSource(magnet, "File to write the piece to");
        var index = new Argument<int>("index") { Description = "Piece index, from 0" };
        var settings = new DownloadSettings(classroom: true);
        var command = magnet
            ? source.Command("magnet_download_piece", "Fetch a magnet link's metadata, then download one verified piece to a file.", settings, index)
            : source.Command("download_piece", "Download one piece, verify its SHA-1 and write it to a file.", settings, index);
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var (torrent, linkPeers) = await source.OpenAsync(parse, settings, ct).ConfigureAwait(false);
            var piece = parse.GetValue(index);
            if (piece < 0 || piece >= torrent.PieceCount)
            {
                Console.Error.WriteLine($"error: piece index {piece} is out of range: the torrent has pieces 0..{torrent.PieceCount - 1}");
                return ExitCodes.Usage;
            }
            var path = Path.GetFullPath(parse.GetValue(source.Output)!);
            var options = settings.Read(parse, Path.GetDirectoryName(path)!);
            options = options with { MaxPeers = 1, ExtraPeers = [.. linkPeers, .. options.ExtraPeers] };
            var bytes = await TorrentClient.DownloadPieceAsync(torrent, piece, options, ct).ConfigureAwait(false);
            await AtomicFile.WriteAsync(path, bytes, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Piece {piece} downloaded to {parse.GetValue(source.Output)}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
