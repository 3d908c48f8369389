using System.Security.Cryptography;
using TorrentLab.Merkle;

namespace TorrentLab.Lab;

/// <summary>Recognises the classic wrong merkle roots by recomputing each one: a hash that matches a mistake names it.</summary>
internal static class MerkleMistakes
{
    /// <summary>What went wrong, when <paramref name="printed"/> is the root one of the known mistakes gives; else null.</summary>
    public static string? Explain(byte[] data, string printed)
    {
        var leaves = Enumerable.Range(0, (int)MerkleTree.BlockCount(data.Length))
            .Select(i => SHA256.HashData(data.AsSpan(i * MerkleTree.BlockSize, Math.Min(MerkleTree.BlockSize, data.Length - i * MerkleTree.BlockSize))))
            .ToList();
        bool Is(byte[] root) => Convert.ToHexStringLower(root) == printed;

        if (Is(SHA256.HashData(data)) && leaves.Count > 1)
            return "that is the SHA-256 of the whole file; the tree's leaves are the hashes of its 16 KiB blocks";
        if (Is(Reduce(leaves, layer => [.. layer, layer[^1]])))
            return "an odd layer repeats its last hash (as Bitcoin does); BEP 52 pads the leaves with zero hashes instead";
        if (Is(Reduce(leaves, layer => layer, carryOdd: true)))
            return "a lone hash was carried up unchanged; BEP 52 pads the leaves with zero hashes to a power of two";
        if (Is(Reduce(leaves, layer => [.. layer, new byte[32]])))
            return "only the leaf layer is padded with zeros: above it a padding node is the hash of its two padding children, not zeros";
        return null;
    }

    // Builds a root, making each odd layer even with `pad` (or carrying its last node up when carryOdd).
    private static byte[] Reduce(List<byte[]> leaves, Func<List<byte[]>, List<byte[]>> pad, bool carryOdd = false)
    {
        var layer = leaves;
        while (layer.Count > 1)
        {
            if (layer.Count % 2 == 1 && !carryOdd) layer = pad(layer);
            var next = new List<byte[]>();
            for (var i = 0; i < layer.Count; i += 2)
                next.Add(i + 1 < layer.Count ? SHA256.HashData([.. layer[i], .. layer[i + 1]]) : layer[i]);
            layer = next;
        }
        return layer[0];
    }
}
