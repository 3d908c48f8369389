using TorrentLab.Merkle;

namespace TorrentLab.Tests.Merkle;

/// <summary>Answers to BEP 52 hash requests from a piece layer: the run asked for, then uncles up to the root.</summary>
public class MerkleLayersTests
{
    private const int PieceLength = 32 * 1024; // two blocks per piece

    private static byte[] Hash(byte fill) => Enumerable.Repeat(fill, MerkleTree.HashSize).ToArray();

    private static byte[] Pair(byte[] left, byte[] right)
    {
        var parent = new byte[MerkleTree.HashSize];
        MerkleTree.HashPair(left, right, parent);
        return parent;
    }

    private static readonly byte[] Pad = MerkleTree.PadHash(MerkleTree.BlocksPerPiece(PieceLength));

    [Fact]
    public void Answer_WholeLayerWithoutProof_IsTheLayerPaddedToAPowerOfTwo()
    {
        byte[] layer = [.. Hash(1), .. Hash(2), .. Hash(3)];

        var answer = MerkleLayers.Answer(MerkleLayers.Tree(layer, Pad), index: 0, length: 4, proofLayers: 0)!;

        Assert.Equal([.. layer, .. Pad], answer);
    }

    [Fact]
    public void Answer_TwoHashesWithOneProofLayer_AddsTheUncleThatLeadsToTheRoot()
    {
        byte[] layer = [.. Hash(1), .. Hash(2), .. Hash(3)];

        var answer = MerkleLayers.Answer(MerkleLayers.Tree(layer, Pad), index: 0, length: 2, proofLayers: 1)!;

        Assert.Equal([.. Hash(1), .. Hash(2), .. Pair(Hash(3), Pad)], answer);
        var root = MerkleTree.RootFromProof(Pair(Hash(1), Hash(2)), 0, answer.AsSpan(2 * MerkleTree.HashSize));
        Assert.Equal(MerkleTree.RootFromPieceLayer(layer, PieceLength), root);
    }

    [Fact]
    public void Answer_ProofLayersOfTheRequestedSpan_AreOmitted()
    {
        // Eight hashes, four asked for: BEP 52 omits the first log2(4)-1 = 1 proof layer, so 2 proof layers give 1 uncle.
        var layer = Enumerable.Range(1, 8).SelectMany(i => Hash((byte)i)).ToArray();

        var answer = MerkleLayers.Answer(MerkleLayers.Tree(layer, Pad), index: 4, length: 4, proofLayers: 2)!;

        var left = Pair(Pair(Hash(1), Hash(2)), Pair(Hash(3), Hash(4)));
        Assert.Equal([.. layer.AsSpan(4 * MerkleTree.HashSize), .. left], answer);
    }

    [Theory]
    [InlineData(4, 2, 0)]  // past the layer's padded width of 4
    [InlineData(0, 2, 3)]  // uncles above the root
    [InlineData(-1, 2, 0)]
    public void Answer_RequestOutsideTheTree_IsNull(int index, int length, int proofLayers)
    {
        byte[] layer = [.. Hash(1), .. Hash(2), .. Hash(3)];
        Assert.Null(MerkleLayers.Answer(MerkleLayers.Tree(layer, Pad), index, length, proofLayers));
    }
}
