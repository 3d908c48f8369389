using System.CommandLine;
using TorrentLab.Creation;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab merkle_root &lt;file&gt;</c>: prints the file's BEP 52 <c>Pieces Root:</c> (64 hex digits),
/// the lab's <c>merkle-root</c> stage.</summary>
internal static class MerkleRootCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The file to hash" }.NotAnOption();
        var command = new Command("merkle_root", "Print a file's BitTorrent v2 pieces root: the SHA-256 merkle root of its 16 KiB blocks.") { file };
        return command.WithAction((parse, ct) =>
        {
            var info = parse.GetValue(file)!;
            if (info.Exists && info.Length == 0) throw new UsageException($"{info.Name} is empty: BEP 52 gives a pieces root only to non-empty files");
            Console.Out.WriteLine($"Pieces Root: {Convert.ToHexStringLower(TorrentBuilder.PiecesRoot(info.FullName, ct))}");
            return ExitCodes.Ok;
        });
    }
}
