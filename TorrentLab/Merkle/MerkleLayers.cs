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
public static class MerkleLayers
{
    /// <summary>The hashes and uncles answering a request on a layer, or null when the request reaches outside it.</summary>
    /// <param name="layer">The layer's real hashes, 32 bytes each, left to right.</param>
    /// <param name="padHash">What stands for a missing node on this layer.</param>
    /// <param name="index">The first hash asked for.</param>
    /// <param name="length">How many hashes (a power of two, or shorter where it meets the end of the layer).</param>
    /// <param name="proofLayers">The request's proof layers, of which the first log2(length)-1 are omitted.</param>
    public static byte[]? Answer(ReadOnlySpan<byte> layer, ReadOnlySpan<byte> padHash, int index, int length, int proofLayers)
    {
        var count = layer.Length / MerkleTree.HashSize;
        var width = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, count));
        if (index < 0 || length < 1 || proofLayers < 0 || (long)index + length > width) return null;
        var span = (int)BitOperations.RoundUpToPowerOf2((uint)length); // the subtree the hashes cover, in base nodes
        var spanned = BitOperations.Log2((uint)span);
        var uncles = Math.Max(0, proofLayers - Math.Max(0, spanned - 1));
        var layers = BitOperations.Log2((uint)width); // layers above the base, up to the root
        if (spanned + uncles > layers) return null;   // asks for uncles above the root

        var nodes = new byte[width * MerkleTree.HashSize];
        layer.CopyTo(nodes);
        var pad = padHash.ToArray();
        for (var i = count; i < width; i++) pad.CopyTo(nodes, i * MerkleTree.HashSize);
        var answer = new byte[(length + uncles) * MerkleTree.HashSize];
        nodes.AsSpan(index * MerkleTree.HashSize, length * MerkleTree.HashSize).CopyTo(answer);

        var written = length;
        for (var level = 0; level < spanned + uncles; level++)
        {
            // Climb one layer: each pair becomes its parent, in place.
            if (level >= spanned)
            {
                var sibling = (index >> level) ^ 1;
                nodes.AsSpan(sibling * MerkleTree.HashSize, MerkleTree.HashSize).CopyTo(answer.AsSpan(written++ * MerkleTree.HashSize));
            }
            var parents = (width >> level) / 2;
            for (var p = 0; p < parents; p++)
                MerkleTree.HashPair(nodes.AsSpan(2 * p * MerkleTree.HashSize, MerkleTree.HashSize),
                    nodes.AsSpan((2 * p + 1) * MerkleTree.HashSize, MerkleTree.HashSize), nodes.AsSpan(p * MerkleTree.HashSize, MerkleTree.HashSize));
        }
        return answer;
    }
}
