using System.CommandLine;
using TorrentLab.Client;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab download_piece -o &lt;path&gt; &lt;file.torrent&gt; &lt;index&gt;</c> and
/// <c>magnet_download_piece -o &lt;path&gt; "&lt;magnet link&gt;" &lt;index&gt;</c>: write exactly one verified piece
/// (classroom stages; the magnet shape fetches the metadata first, BEP 9).</summary>
internal static class DownloadPieceCommand
{
    public static Command Create(bool magnet)
    {
        var source = new ClassroomSource(magnet, "File to write the piece to");
        source.Output.FileNotFolder(); // a folder is refused where parsed, before the torrent is opened
        // One piece is always the single-peer reference story: its help says so, and a larger peer limit is refused.
        source.Settings.MaxPeers.Description = "Peers connected at once: 1 only, since one piece runs the single-peer reference path";
        source.Settings.MaxPeers.DefaultValueFactory = _ => 1;
        source.Settings.Port.Description = "The port told to the trackers (default 6881); nothing listens on it: the reference path only dials";
        var index = new Argument<int>("index") { Description = "Piece index, from 0" };
        var command = source.Command("download_piece", magnet
            ? "Fetch a magnet link's metadata, then download one verified piece to a file."
            : "Download one piece, verify its SHA-1 and write it to a file.", index);
        return command.WithAction(async (parse, ct) =>
        {
            // What only the swarm engine does is refused, not accepted and ignored.
            const string why = "a piece alone runs the single-peer reference path";
            if (parse.GetValue(source.Settings.MaxPeers) != 1)
                throw new UsageException($"--max-peers {parse.GetValue(source.Settings.MaxPeers)} needs the swarm engine; {why}, one peer at a time");
            source.Settings.CheckReferencePath(parse, why);
            // --overwrite says what it does: without it an existing file is kept, checked before anything is fetched.
            var path = Path.GetFullPath(parse.GetValue(source.Output)!);
            if (File.Exists(path) && !parse.GetValue(source.Settings.Overwrite))
                throw new IOException($"{parse.GetValue(source.Output)} already exists (use --overwrite to replace it)");
            if (Directory.Exists(path)) throw new IOException($"{parse.GetValue(source.Output)} is a folder, not a file");
            var opened = await source.OpenAsync(parse, ct).ConfigureAwait(false);
            var torrent = opened.Torrent;
            var piece = parse.GetValue(index);
            if (piece < 0 || piece >= torrent.PieceCount)
            {
                Console.Error.WriteLine($"error: piece index {piece} is out of range: the torrent has pieces 0..{torrent.PieceCount - 1}");
                return ExitCodes.Usage;
            }
            var options = source.Options(parse, opened, Path.GetDirectoryName(path)!) with { MaxPeers = 1 };
            var bytes = await TorrentClient.DownloadPieceAsync(torrent, piece, options, ct).ConfigureAwait(false);
            await AtomicFile.WriteAsync(path, bytes, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Piece {piece} downloaded to {parse.GetValue(source.Output)}.");
            return ExitCodes.Ok;
        });
    }
}
