using System.Numerics;

namespace TorrentLab.Merkle;

/// <summary>Answers BEP 52 hash requests from a file's piece layer: a run of the layer's hashes and the uncle hashes
/// that lead from them to the file's pieces root.</summary>
/// <remarks>
/// <code>
///                  root
///            /            \
///        p01                p23          proof layer 2 for a request of length 2 at index 0: uncle p23
///       /    \            /     \
///     p0      p1        p2     pad       the piece layer (base), padded with pad hashes to a power of two
///     [requested]
/// </code>
/// BEP 52: "A proof layer is omitted if the requested hashes include the entire child layer. In other words, the first
/// log2(length)-1 proof layers are omitted." So proof layer k is the sibling, k layers above the base, of the
/// subtree the requested hashes span; the uncles are sent nearest first.
/// </remarks>
internal static class MerkleLayers
{
    /// <summary>Every layer of the tree above a base layer, the base (padded to a power of two) first and the root last:
    /// built once per file, so answering a request only copies hashes (a peer's 49-byte request must not cost a tree's
    /// worth of hashing).</summary>
    /// <param name="layer">The base layer's real hashes, 32 bytes each, left to right.</param>
    /// <param name="padHash">What stands for a missing node on the base layer.</param>
    public static byte[][] Tree(ReadOnlySpan<byte> layer, ReadOnlySpan<byte> padHash)
    {
        var count = layer.Length / MerkleTree.HashSize;
        var width = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, count));
        var levels = new byte[BitOperations.Log2((uint)width) + 1][];
        levels[0] = new byte[width * MerkleTree.HashSize];
        layer.CopyTo(levels[0]);
        for (var i = count; i < width; i++) padHash.CopyTo(levels[0].AsSpan(i * MerkleTree.HashSize));
        for (var level = 1; level < levels.Length; level++)
        {
            var below = levels[level - 1];
            var parents = levels[level] = new byte[below.Length / 2];
            for (var p = 0; p < parents.Length / MerkleTree.HashSize; p++)
                MerkleTree.HashPair(below.AsSpan(2 * p * MerkleTree.HashSize, MerkleTree.HashSize),
                    below.AsSpan((2 * p + 1) * MerkleTree.HashSize, MerkleTree.HashSize), parents.AsSpan(p * MerkleTree.HashSize, MerkleTree.HashSize));
        }
        return levels;
    }

    /// <summary>The hashes and uncles answering a request, read from a <see cref="Tree"/>, or null when the request
    /// reaches outside it.</summary>
    /// <param name="tree">The file's tree above its piece layer.</param>
    /// <param name="index">The first hash asked for.</param>
    /// <param name="length">How many hashes (a power of two, or shorter where it meets the end of the layer).</param>
    /// <param name="proofLayers">The request's proof layers, of which the first log2(length)-1 are omitted.</param>
    public static byte[]? Answer(byte[][] tree, int index, int length, int proofLayers)
    {
        var width = tree[0].Length / MerkleTree.HashSize;
        if (index < 0 || length < 1 || proofLayers < 0 || (long)index + length > width) return null;
        var span = (int)BitOperations.RoundUpToPowerOf2((uint)length); // the subtree the hashes cover, in base nodes
        var spanned = BitOperations.Log2((uint)span);
        var uncles = Math.Max(0, proofLayers - Math.Max(0, spanned - 1));
        if (spanned + uncles > tree.Length - 1) return null; // asks for uncles above the root

        var answer = new byte[(length + uncles) * MerkleTree.HashSize];
        tree[0].AsSpan(index * MerkleTree.HashSize, length * MerkleTree.HashSize).CopyTo(answer);
        // Uncle k is the sibling, on the layer spanned + k above the base, of the subtree the hashes lie in.
        for (var k = 0; k < uncles; k++)
        {
            var level = spanned + k;
            var sibling = (index >> level) ^ 1;
            tree[level].AsSpan(sibling * MerkleTree.HashSize, MerkleTree.HashSize).CopyTo(answer.AsSpan((length + k) * MerkleTree.HashSize));
        }
        return answer;
    }
}
