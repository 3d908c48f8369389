using TorrentLab.Bencode;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Pieces;

/// <summary>Full checks of v2 and hybrid data (BEP 52) through <see cref="PieceVerifier"/>, and the scheme the ledger records.</summary>
public class PieceCheckTests
{
    private const int PieceLength = 32 * 1024;

    private static readonly (IReadOnlyList<string> Path, ReadOnlyMemory<byte> Data)[] Files =
    [
        (["a.bin"], TestTorrents.Payload(100_000, 11)),  // 4 pieces, with a piece layer
        (["b.txt"], TestTorrents.Payload(5_000, 12)),    // one piece: checked against its root
        (["sub", "c.bin"], TestTorrents.Payload(40_000, 13)),
    ];

    private static Torrent Create(TorrentFormat format, bool withLayers = true)
    {
        var bytes = TorrentBuilder.Create("multi", Files, new TorrentCreateOptions { PieceLength = PieceLength, Format = format, CreationDate = null });
        if (withLayers) return Torrent.Parse(bytes);
        var root = (BDictionary)BencodeDecoder.Decode(bytes);
        return Torrent.Parse(BencodeWriter.Encode(new BDictionary().Set("info", root["info"]!)));
    }

    private static string Write(TempFolder temp, int flipAt = -1)
    {
        foreach (var (path, data) in Files)
        {
            var full = Path.Combine([temp.Path, "multi", .. path]);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var bytes = data.ToArray();
            if (flipAt >= 0 && path[0] == "a.bin") bytes[flipAt] ^= 0x01;
            File.WriteAllBytes(full, bytes);
        }
        return temp.Path;
    }

    [Theory]
    [InlineData(TorrentFormat.V2)]
    [InlineData(TorrentFormat.Hybrid)]
    public async Task VerifyAsync_IntactData_PassesEveryPiece(TorrentFormat format)
    {
        using var temp = new TempFolder();
        var have = await PieceVerifier.VerifyAsync(Create(format), Write(temp), cancellation: TestContext.Current.CancellationToken);
        Assert.True(have.IsComplete);
    }

    [Fact]
    public async Task VerifyAsync_V2_OneFlippedByte_FailsOnlyItsPieceByTheLayer()
    {
        using var temp = new TempFolder();
        var have = await PieceVerifier.VerifyAsync(Create(TorrentFormat.V2), Write(temp, flipAt: 70_000), cancellation: TestContext.Current.CancellationToken);
        Assert.Equal([0, 1, 3, 4, 5, 6], have.SetIndexes());
    }

    [Fact]
    public async Task VerifyAsync_V2WithoutPieceLayers_ChecksTheFileWholeAgainstItsRoot()
    {
        using var temp = new TempFolder();
        var torrent = Create(TorrentFormat.V2, withLayers: false);

        var intact = await PieceVerifier.VerifyAsync(torrent, Write(temp), cancellation: TestContext.Current.CancellationToken);
        var damaged = await PieceVerifier.VerifyAsync(torrent, Write(temp, flipAt: 70_000), cancellation: TestContext.Current.CancellationToken);

        Assert.True(intact.IsComplete);
        Assert.Equal([4, 5, 6], damaged.SetIndexes()); // a.bin's four pieces fail together
    }

    [Fact]
    public async Task Ledger_RecordsTheSchemeAndIsNotTrustedByAV2OnlyTorrentWhenItSaysSha1()
    {
        using var temp = new TempFolder();
        var torrent = Create(TorrentFormat.V2);
        var have = await PieceVerifier.VerifyAsync(torrent, Write(temp), cancellation: TestContext.Current.CancellationToken);
        var ledger = new ResumeLedger(torrent, temp.Path);

        ledger.Save(have);
        Assert.Contains("\"hashScheme\": \"merkle-sha256\"", File.ReadAllText(ledger.FilePath));
        Assert.True(ledger.Validate().IsTrusted);

        ledger.Save(have, PieceHashScheme.Sha1);
        var check = ledger.Validate();
        Assert.False(check.IsTrusted);
        Assert.Contains("verified with sha1", check.Reason);
    }

    [Theory]
    [InlineData(TorrentFormat.V1, PieceHashScheme.Sha1)]
    [InlineData(TorrentFormat.V2, PieceHashScheme.Merkle)]
    [InlineData(TorrentFormat.Hybrid, PieceHashScheme.Both)]
    public void FullCheck_NamesTheHashesTheTorrentHas(TorrentFormat format, string scheme) =>
        Assert.Equal(scheme, PieceHashScheme.FullCheck(Create(format)));

    [Fact]
    public void CanVerify_V2FileWithoutPieceLayer_IsFalseUntilAPeersLayerLeadsToItsRoot()
    {
        var full = Create(TorrentFormat.V2);
        var check = new PieceCheck(Create(TorrentFormat.V2, withLayers: false));
        var a = 0; // a.bin: four pieces, its layer missing
        var layer = full.Files[a].PieceLayer;
        var wrong = layer.ToArray();
        wrong[0] ^= 1;

        Assert.Equal([0, 4], check.MissingLayers); // a.bin and sub/c.bin (b.txt fits in one piece: its root suffices)
        Assert.False(check.CanVerify(0));
        Assert.True(check.CanVerify(4));           // b.txt
        Assert.False(check.TryAddLayer(a, wrong));
        Assert.False(check.TryAddLayer(a, layer[..32]));
        Assert.True(check.TryAddLayer(a, layer));
        Assert.True(check.CanVerify(0));
        Assert.Equal([4], check.MissingLayers);
        Assert.Equal(layer.ToArray(), check.LayerOf(a).ToArray());
    }

    [Fact]
    public void Check_PieceOfAFileWhoseLayerCameFromAPeer_PassesIntactDataAndFailsAFlippedByte()
    {
        var full = Create(TorrentFormat.V2);
        var check = new PieceCheck(Create(TorrentFormat.V2, withLayers: false));
        Assert.True(check.TryAddLayer(0, full.Files[0].PieceLayer));
        var piece = Files[0].Data.Slice(PieceLength, PieceLength).ToArray();

        Assert.True(check.Check(1, piece));
        piece[100] ^= 1;
        Assert.False(check.Check(1, piece));
    }

    [Fact]
    public void FileOf_PiecesRoot_FindsTheFileAndUnknownRootsAreMinusOne()
    {
        var torrent = Create(TorrentFormat.V2);
        var check = new PieceCheck(torrent);

        Assert.Equal(0, check.FileOf(torrent.Files[0].PiecesRoot.Span));
        Assert.Equal(-1, check.FileOf(new byte[32]));
        Assert.Equal(4, check.PieceCountOf(0));
    }
}
