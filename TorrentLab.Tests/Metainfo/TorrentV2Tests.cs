using System.Security.Cryptography;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Creation;
using TorrentLab.Merkle;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Metainfo;

/// <summary>BEP 52 metainfo: v2-only and hybrid torrents, their piece layers and the consistency of a hybrid's halves.</summary>
public class TorrentV2Tests
{
    private const int PieceLength = 32 * 1024;

    private static readonly (IReadOnlyList<string> Path, ReadOnlyMemory<byte> Data)[] Files =
    [
        (["a.bin"], TestTorrents.Payload(100_000, 1)),   // 4 pieces: a piece layer of 4 hashes
        (["b.txt"], TestTorrents.Payload(5_000, 2)),     // smaller than a piece: no layer
        (["empty"], Array.Empty<byte>()),
        (["sub", "c.bin"], TestTorrents.Payload(40_000, 3)),
    ];

    private static byte[] Create(TorrentFormat format) =>
        TorrentBuilder.Create("multi", Files, new TorrentCreateOptions { PieceLength = PieceLength, Format = format, CreationDate = null });

    private static BDictionary Decode(byte[] bytes) => (BDictionary)BencodeDecoder.Decode(bytes);

    private static MetainfoException Invalid(BDictionary root) =>
        Assert.Throws<MetainfoException>(() => Torrent.Parse(BencodeWriter.Encode(root)));

    [Theory]
    [InlineData(0, PieceLength)]        // all a.bin
    [InlineData(3, 100_000 - 3 * PieceLength)] // a.bin's end, then its pad
    [InlineData(4, 5_000)]              // b.txt, then its pad
    [InlineData(6, 40_000 - PieceLength)] // c.bin's end: the last piece, no pad after it
    public void GetPiecePayloadLength_Hybrid_LeavesOutThePadFiles(int piece, int expected)
    {
        var torrent = Torrent.Parse(Create(TorrentFormat.Hybrid));

        Assert.Equal(expected, torrent.GetPiecePayloadLength(piece));
        Assert.Equal(torrent.PayloadLength, Enumerable.Range(0, torrent.PieceCount).Sum(i => (long)torrent.GetPiecePayloadLength(i)));
    }

    [Fact]
    public void Parse_V2Only_HasSha256InfoHashAlignedFilesAndNoSha1Hashes()
    {
        var bytes = Create(TorrentFormat.V2);
        var torrent = Torrent.Parse(bytes);
        var info = Decode(bytes)["info"]!.Raw;

        Assert.True(torrent.IsV2Only);
        Assert.Equal(2, torrent.MetaVersion);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(info.Span)), torrent.InfoHashV2!.Value.Hex);
        Assert.Equal(torrent.InfoHashV2!.Value.Hex[..40], torrent.InfoHash.Hex);
        Assert.True(torrent.PieceHashes.IsEmpty);
        // a.bin 4 pieces, b.txt 1, c.bin 2: every non-empty file starts a piece; the gaps are pad files.
        Assert.Equal(7, torrent.PieceCount);
        Assert.Equal(145_000, torrent.PayloadLength);
        Assert.Equal(7L * PieceLength, torrent.TotalLength);
        Assert.Equal([0L, 4L * PieceLength, 5L * PieceLength, 5L * PieceLength],
            torrent.Files.Where(f => !f.IsPadding).Select(f => f.Offset));
        Assert.Equal(MerkleTree.FileRoot(Files[0].Data.Span), torrent.Files[0].PiecesRoot.ToArray());
        Assert.Equal(4 * 32, torrent.Files[0].PieceLayer.Length);
        Assert.Throws<NotSupportedException>(() => torrent.GetPieceHash(0));
    }

    [Fact]
    public void Parse_Hybrid_KeepsTheV1PiecesAndAttachesTheV2Roots()
    {
        var torrent = Torrent.Parse(Create(TorrentFormat.Hybrid));

        Assert.True(torrent.IsHybrid);
        Assert.False(torrent.IsV2Only);
        Assert.Equal(7, torrent.PieceCount);
        Assert.Equal(145_000, torrent.PayloadLength);
        Assert.Equal(3, torrent.Files.Count(f => f.IsPadding));
        Assert.All(torrent.Files.Where(f => !f.IsPadding && f.Length > 0), f => Assert.Equal(32, f.PiecesRoot.Length));
        Assert.Contains("&xt=urn:btmh:1220" + torrent.InfoHashV2!.Value.Hex, torrent.MagnetLink);
    }

    [Fact]
    public void Parse_PieceLayerOfTheWrongLength_NamesTheRootAndTheByte()
    {
        var bytes = Create(TorrentFormat.V2);
        var root = Decode(bytes);
        var layers = (BDictionary)root["piece layers"]!;
        var key = Torrent.Parse(bytes).Files[0].PiecesRoot.ToArray(); // a.bin
        Assert.True(layers.TryGet(key, out var layer));
        layers.Set(key, new BString(((BString)layer).Bytes[..^32]));

        var error = Invalid(root);

        Assert.Equal("piece layers." + Convert.ToHexStringLower(key), error.KeyPath);
        Assert.Contains("holds 96 bytes, but a file of 100000 bytes in pieces of 32768 needs 4 hashes", error.Message);
        Assert.Contains("(at byte ", error.Message);
    }

    [Fact]
    public void Parse_PieceLayerWithAChangedHash_DoesNotHashUpToTheRoot()
    {
        var root = Decode(Create(TorrentFormat.V2));
        var layers = (BDictionary)root["piece layers"]!;
        var (key, layer) = layers.Entries[0];
        var changed = ((BString)layer).Bytes.ToArray();
        changed[40] ^= 1;
        layers.Set(key, new BString(changed));

        Assert.Contains("do not hash up to the file's pieces root", Invalid(root).Message);
    }

    [Fact]
    public void Parse_PieceLayerForNoFile_IsRefused()
    {
        var root = Decode(Create(TorrentFormat.V2));
        var layers = (BDictionary)root["piece layers"]!;
        layers.Set(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray(), layers.Entries[0].Value);

        Assert.Contains("matches no file larger than one piece", Invalid(root).Message);
    }

    [Fact]
    public void Parse_WithoutPieceLayers_LoadsAndLeavesTheLayersToPeers()
    {
        var root = Decode(Create(TorrentFormat.V2));
        var withoutLayers = new BDictionary().Set("info", root["info"]!);

        var torrent = Torrent.Parse(BencodeWriter.Encode(withoutLayers));

        Assert.All(torrent.Files, f => Assert.True(f.PieceLayer.IsEmpty));
    }

    [Fact]
    public void Parse_NewerMetaVersion_IsReportedBeforeAnyOtherProblem()
    {
        var error = Assert.Throws<MetainfoException>(() => Torrent.Parse(Encoding.ASCII.GetBytes("d4:infod12:meta versioni3eee")));
        Assert.Equal("info.meta version", error.KeyPath);
        Assert.Contains("newer version", error.Message);
    }

    [Theory]
    [InlineData("d4:infod9:file treed1:bd0:d6:lengthi0eee1:ad0:d6:lengthi0eeee12:meta versioni2e4:name1:x12:piece lengthi16384eee", "keys are not in sorted order")]
    [InlineData("d4:infod9:file treed1:ad0:d4:attr1:p6:lengthi1eeee12:meta versioni2e4:name1:x12:piece lengthi16384eee", "a pad file (attr 'p') is not allowed")]
    [InlineData("d4:infod9:file treed1:ad0:d6:lengthi1eeee12:meta versioni2e4:name1:x12:piece lengthi16384eee", "pieces root: is missing for a non-empty file")]
    [InlineData("d4:infod9:file treed1:adee12:meta versioni2e4:name1:x12:piece lengthi16384eee", "is an empty folder")]
    [InlineData("d4:infod9:file treed0:d6:lengthi1eee12:meta versioni2e4:name1:x12:piece lengthi16384eee", "the root must not be a file")]
    [InlineData("d4:infod9:file treed1:ad0:d6:lengthi0eeee12:meta versioni2e4:name1:x12:piece lengthi24576eee", "must be a power of two of at least 16384")]
    [InlineData("d4:infod9:file treed1:ad0:d6:lengthi0eee1:bd0:d6:lengthi0eeee12:meta versioni2e4:name1:x12:piece lengthi16384eee", "holds no data")]
    [InlineData("d4:infod9:file treed1:ad0:d6:lengthi0eee1:bi1ee12:meta versioni2e4:name1:x12:piece lengthi16384eee", "expected a dictionary, got an integer")]
    public void Parse_InvalidFileTree_SaysWhatAndWhere(string torrent, string expected)
    {
        var error = Assert.Throws<MetainfoException>(() => Torrent.Parse(Encoding.ASCII.GetBytes(torrent)));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Parse_FileEntryWithASibling_IsRefused()
    {
        const string torrent = "d4:infod9:file treed1:ad0:d6:lengthi0ee1:bd6:lengthi0eeee12:meta versioni2e4:name1:x12:piece lengthi16384eee";
        var error = Assert.Throws<MetainfoException>(() => Torrent.Parse(Encoding.ASCII.GetBytes(torrent)));
        Assert.Contains("a file entry must not have sibling entries", error.Message);
        Assert.Equal("info.file tree.a.''", error.KeyPath);
    }

    [Fact]
    public void Parse_HybridWhoseV1LengthDiffers_IsInconsistent()
    {
        var root = Decode(Create(TorrentFormat.Hybrid));
        var files = (BList)((BDictionary)root["info"]!)["files"]!;
        ((BDictionary)files.Items[2]).Set("length", new BInteger(5_001));
        ((BDictionary)files.Items[3]).Set("length", new BInteger(27_767)); // its pad shrinks: still aligned

        var error = Invalid(root);

        Assert.Equal("info.files[2]", error.KeyPath);
        Assert.Contains("v1 file 'b.txt' (5001 bytes) differs from v2 file 'b.txt' (5000 bytes)", error.Message);
    }

    [Fact]
    public void Parse_HybridWithAPadThatMisalignsTheNextFile_IsInconsistent()
    {
        var root = Decode(Create(TorrentFormat.Hybrid));
        var info = (BDictionary)root["info"]!;
        var files = (BList)info["files"]!;
        ((BDictionary)files.Items[1]).Set("length", new BInteger(31_073)); // one byte too many after a.bin
        var tail = (BDictionary)files.Items[^1];
        tail.Set("length", new BInteger(((BInteger)tail["length"]!).Value - 1)); // keep the piece count

        var error = Invalid(root);

        Assert.Equal("info.files[1]", error.KeyPath);
        Assert.Contains("does not end on a piece boundary", error.Message);
    }

    [Fact]
    public void Parse_HybridWithAFileMissingFromTheV1List_IsInconsistent()
    {
        var root = Decode(Create(TorrentFormat.Hybrid));
        var info = (BDictionary)root["info"]!;
        var files = (BList)info["files"]!;
        info.Set("files", new BList([.. files.Items.Where((_, i) => i != 4)])); // drop the empty file

        Assert.Contains("the v1 file list has 3 files but the v2 file tree has 4", Invalid(root).Message);
    }
}
