using System.Security.Cryptography;
using TorrentLab.Merkle;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Merkle;

/// <summary>The BEP 52 tree rules, each checked against a tree composed by hand from SHA-256 in the test.</summary>
public class MerkleTreeTests
{
    private const int Block = MerkleTree.BlockSize;
    private static readonly byte[] Zero = new byte[32];

    private static byte[] H(byte[] left, byte[] right) => SHA256.HashData([.. left, .. right]);
    private static byte[] Leaf(byte[] data, int block) => SHA256.HashData(data.AsSpan(block * Block, Math.Min(Block, data.Length - block * Block)));

    [Fact]
    public void FileRoot_OfOneShortBlock_IsThatBlocksHash()
    {
        var data = TestTorrents.Payload(5_000, 1);
        Assert.Equal(SHA256.HashData(data), MerkleTree.FileRoot(data));
    }

    [Fact]
    public void FileRoot_OfThreeBlocks_PadsTheLeafLayerWithOneZeroHash()
    {
        var data = TestTorrents.Payload(2 * Block + 10, 2);
        var expected = H(H(Leaf(data, 0), Leaf(data, 1)), H(Leaf(data, 2), Zero));
        Assert.Equal(expected, MerkleTree.FileRoot(data));
    }

    [Fact]
    public void FileRoot_OfFiveBlocks_PadsToEightLeavesAndHashesThePaddingAboveTheLeaves()
    {
        var data = TestTorrents.Payload(4 * Block + 1, 3);
        var l = Enumerable.Range(0, 5).Select(i => Leaf(data, i)).ToArray();
        // The right half holds one real leaf: padding is zero only on the leaf layer, H(0,0) one layer up.
        var expected = H(H(H(l[0], l[1]), H(l[2], l[3])), H(H(l[4], Zero), H(Zero, Zero)));
        Assert.Equal(expected, MerkleTree.FileRoot(data));
    }

    [Fact]
    public void PadHash_IsTheRootOfZeroLeaves()
    {
        Assert.Equal(Zero, MerkleTree.PadHash(1));
        Assert.Equal(H(Zero, Zero), MerkleTree.PadHash(2));
        Assert.Equal(H(H(Zero, Zero), H(Zero, Zero)), MerkleTree.PadHash(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.PadHash(3));
    }

    [Fact]
    public void PieceLayer_OfAFileOfThreePieces_HashesUpToTheFileRootWithAPiecePadHash()
    {
        const int pieceLength = 2 * Block;
        var data = TestTorrents.Payload(4 * Block + 7, 4); // pieces of 2, 2 and 1 blocks
        var pieces = new[]
        {
            MerkleTree.PieceRoot(data.AsSpan(0, pieceLength), pieceLength),
            MerkleTree.PieceRoot(data.AsSpan(pieceLength, pieceLength), pieceLength),
            MerkleTree.PieceRoot(data.AsSpan(2 * pieceLength), pieceLength),
        };
        Assert.Equal(H(Leaf(data, 4), Zero), pieces[2]); // a short last piece is padded with zero leaves

        var layer = pieces.SelectMany(p => p).ToArray();
        var root = MerkleTree.RootFromPieceLayer(layer, pieceLength);

        Assert.Equal(H(H(pieces[0], pieces[1]), H(pieces[2], H(Zero, Zero))), root);
        Assert.Equal(MerkleTree.FileRoot(data), root);
    }

    [Fact]
    public void VerifyBlock_WithItsUncles_ReachesTheRoot_AndFailsForAnyOtherBlockOrIndex()
    {
        var data = TestTorrents.Payload(4 * Block, 5);
        var l = Enumerable.Range(0, 4).Select(i => Leaf(data, i)).ToArray();
        var root = MerkleTree.FileRoot(data);
        byte[] uncles = [.. l[3], .. H(l[0], l[1])];

        Assert.True(MerkleTree.VerifyBlock(data.AsSpan(2 * Block, Block), 2, uncles, root));
        Assert.False(MerkleTree.VerifyBlock(data.AsSpan(2 * Block, Block), 3, uncles, root)); // right child, not left
        Assert.False(MerkleTree.VerifyBlock(data.AsSpan(Block, Block), 2, uncles, root));
    }

    [Fact]
    public void VerifyPiece_UsesTheLayerForLongFilesAndTheRootForAOnePieceFile()
    {
        const int pieceLength = 2 * Block;
        var data = TestTorrents.Payload(3 * Block, 6);
        var layer = new[] { MerkleTree.PieceRoot(data.AsSpan(0, pieceLength), pieceLength), MerkleTree.PieceRoot(data.AsSpan(pieceLength), pieceLength) }
            .SelectMany(p => p).ToArray();
        var root = MerkleTree.FileRoot(data);
        Assert.True(MerkleTree.VerifyPiece(data.AsSpan(pieceLength), 1, data.Length, pieceLength, root, layer));
        Assert.False(MerkleTree.VerifyPiece(data.AsSpan(0, pieceLength), 1, data.Length, pieceLength, root, layer));

        var small = TestTorrents.Payload(Block + 1, 7);
        Assert.True(MerkleTree.VerifyPiece(small, 0, small.Length, pieceLength, MerkleTree.FileRoot(small), []));
    }

    [Fact]
    public void RootOfLayer_RefusesAWidthSmallerThanTheLayerOrNotAPowerOfTwo()
    {
        var two = new byte[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.RootOfLayer(two, 1, Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.RootOfLayer(two, 3, Zero));
        Assert.Throws<ArgumentException>(() => MerkleTree.RootOfLayer(new byte[33], 2, Zero));
    }

    [Fact]
    public void FileRoot_OfAnEmptyFile_IsRefused() =>
        Assert.Throws<ArgumentException>(() => MerkleTree.FileRoot([]));
}
