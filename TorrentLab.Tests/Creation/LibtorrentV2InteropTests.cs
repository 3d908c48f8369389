using TorrentLab.Creation;
using TorrentLab.Merkle;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Creation;

/// <summary>For the same files and piece length, our v2 and hybrid torrents have libtorrent 2.0's info hashes (v1 and
/// v2), pieces roots and piece layers; libtorrent scans the folder itself.</summary>
[Trait("Tier", "Slow")]
public class LibtorrentV2InteropTests
{
    // Builds a v2-only (flags 'v2') or hybrid (flags 'hybrid') torrent of a file or folder; prints its bytes in hex.
    private const string CreateScript = """
        import sys, libtorrent as lt
        path, piece, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        fs = lt.file_storage()
        lt.add_files(fs, path)
        ct = lt.create_torrent(fs, piece, flags=lt.create_torrent.v2_only if kind == 'v2' else 0)
        lt.set_piece_hashes(ct, path.rsplit('/', 1)[0])
        print(lt.bencode(ct.generate()).hex())
        """;

    public static TheoryData<string, int, string> Cases => new()
    {
        { "small", 16 * 1024, "v2" },          // one file smaller than a block
        { "small", 16 * 1024, "hybrid" },
        { "block", 32 * 1024, "v2" },          // exactly one block: the root is the block's hash
        { "pieces", 32 * 1024, "v2" },         // 10 blocks: not a power of two, the last piece short
        { "pieces", 32 * 1024, "hybrid" },
        { "mixed", 16 * 1024, "v2" },          // nested, unicode, hidden, an empty file, files smaller than a piece
        { "mixed", 64 * 1024, "hybrid" },      // pad files between every file
        { "large", 256 * 1024, "v2" },
        { "large", 256 * 1024, "hybrid" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CreateAsync_SameFiles_HasLibtorrentsInfoHashesRootsAndLayers(string input, int pieceLength, string kind)
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var path = WriteInput(temp, input);
        var options = new TorrentCreateOptions
        {
            PieceLength = pieceLength,
            Format = kind == "v2" ? TorrentFormat.V2 : TorrentFormat.Hybrid,
            CreationDate = null,
        };

        var ours = Torrent.Parse(await TorrentBuilder.CreateAsync(path, options, null, TestContext.Current.CancellationToken));
        var run = ProcessRunner.Run(python, ["-c", CreateScript, path, pieceLength.ToString(), kind], TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var theirs = Torrent.Parse(Convert.FromHexString(run.Stdout.Trim()));

        Assert.Equal(theirs.InfoHashV2, ours.InfoHashV2);
        Assert.Equal(theirs.InfoHash, ours.InfoHash);
        Assert.Equal(kind == "v2", ours.IsV2Only);
        Assert.Equal(theirs.Files.Select(f => (f.DisplayPath, f.Length, f.Offset, f.IsPadding)), ours.Files.Select(f => (f.DisplayPath, f.Length, f.Offset, f.IsPadding)));
        Assert.Equal(theirs.Files.Select(f => Convert.ToHexString(f.PiecesRoot.Span)), ours.Files.Select(f => Convert.ToHexString(f.PiecesRoot.Span)));
        Assert.Equal(theirs.Files.Select(f => Convert.ToHexString(f.PieceLayer.Span)), ours.Files.Select(f => Convert.ToHexString(f.PieceLayer.Span)));
    }

    [Theory]
    [InlineData("small")]
    [InlineData("block")]
    [InlineData("pieces")]
    [InlineData("large")]
    public void FileRoot_OfEveryFile_EqualsLibtorrentsPiecesRoot(string input)
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var path = WriteInput(temp, input);
        var run = ProcessRunner.Run(python, ["-c", CreateScript, path, (64 * 1024).ToString(), "v2"], TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var theirs = Torrent.Parse(Convert.FromHexString(run.Stdout.Trim()));

        var checkedFiles = 0;
        foreach (var file in theirs.Files.Where(f => f.Length > 0 && !f.IsPadding))
        {
            var data = File.ReadAllBytes(Path.Combine(temp.Path, file.RelativePath));
            Assert.Equal(Convert.ToHexString(file.PiecesRoot.Span), Convert.ToHexString(MerkleTree.FileRoot(data)));
            checkedFiles++;
        }
        Assert.True(checkedFiles > 0);
    }

    private static string WriteInput(TempFolder temp, string input)
    {
        switch (input)
        {
            case "mixed": return PayloadFolders.Write(temp.Path, "mixed", PayloadFolders.Mixed);
            case "large": return PayloadFolders.Write(temp.Path, "large", PayloadFolders.Large);
        }
        var length = input switch { "small" => 5_000, "block" => 16 * 1024, _ => 10 * 16 * 1024 - 100 };
        var path = Path.Combine(temp.Path, input + ".bin");
        File.WriteAllBytes(path, TestTorrents.Payload(length, 3));
        return path;
    }
}
