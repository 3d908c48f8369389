using System.CommandLine;
using TorrentLab.Creation;
using TorrentLab.Merkle;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab merkle_root &lt;file&gt;</c>: prints the file's BEP 52 <c>Pieces Root:</c> (64 hex digits),
/// the lab's <c>merkle-root</c> stage.</summary>
internal static class MerkleRootCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The file to hash" };
        var command = new Command("merkle_root", "Print a file's BitTorrent v2 pieces root: the SHA-256 merkle root of its 16 KiB blocks.") { file };
        command.SetAction((parse, ct) => CliErrors.GuardAsync(() =>
        {
            var info = parse.GetValue(file)!;
            if (!info.Exists) throw new FileNotFoundException($"no such file: {info.FullName}", info.FullName);
            if (info.Length == 0) throw new UsageException($"{info.Name} is empty: BEP 52 gives a pieces root only to non-empty files");
            // A piece of one block makes the piece layer the leaf layer, so any file streams through in 16 KiB steps.
            using var reader = PayloadReader.For([new PayloadFile([], info.FullName, info.Length)]);
            var hashes = MerkleHasher.Hash(reader, info.Length, MerkleTree.BlockSize, null, ct);
            Console.Out.WriteLine($"Pieces Root: {Convert.ToHexStringLower(hashes.PiecesRoot)}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }
}
