using System.Numerics;
using System.Security.Cryptography;

namespace TorrentLab.Merkle;

/// <summary>The per-file SHA-256 merkle trees of BitTorrent v2 (BEP 52): leaves, padding, piece layers and roots.</summary>
/// <remarks>
/// <para>BEP 52, <c>pieces root</c>: "the root hash of a merkle tree with a branching factor of 2, constructed from
/// 16KiB blocks of the file. The last block may be shorter than 16KiB. The remaining leaf hashes beyond the end of
/// the file required to construct upper layers of the merkle tree are set to zero."</para>
/// <code>
///                      root                          pieces root (in the file tree)
///               /               \
///          h01                    h23                piece layer when a piece is 2 blocks (in piece layers)
///        /     \                /     \
///   sha(b0)  sha(b1)       sha(b2)   000...0         leaves: SHA-256 of each 16 KiB block; zero hashes pad the
///   |b0 16K| |b1 16K|      |b2 &lt;16K|                  leaf count up to a power of two
/// </code>
/// <para>Every inner node is <c>SHA-256(left || right)</c>. Zero is only the padding of the leaf layer: above it, a
/// padding node is the hash of two padding children, so a piece of pure padding hashes to <see cref="PadHash"/>
/// of the piece's block count, never to zeros.</para>
/// <para>BEP 52, <c>piece layers</c>: "The layer is chosen so that one hash covers piece length bytes. [...] Layer
/// hashes which exclusively cover data beyond the end of file, i.e. are only needed to balance the tree, are
/// omitted." A file of one piece or less has no piece layer: its pieces root is its only piece hash.</para>
/// </remarks>
internal static class MerkleTree
{
    /// <summary>16 KiB: the leaf block size of every v2 tree (BEP 52).</summary>
    public const int BlockSize = 16 * 1024;

    /// <summary>32: a SHA-256 digest, the size of every node.</summary>
    public const int HashSize = SHA256.HashSizeInBytes;

    /// <summary>How many 16 KiB blocks (leaves with data) a file of <paramref name="length"/> bytes has.</summary>
    public static long BlockCount(long length) => (length + BlockSize - 1) / BlockSize;

    /// <summary>The leaf count of a file's tree: its block count rounded up to a power of two (at least 1).</summary>
    public static long LeafCount(long length) => (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, BlockCount(length)));

    /// <summary>SHA-256 of one block of data: a leaf.</summary>
    public static void HashBlock(ReadOnlySpan<byte> block, Span<byte> leaf) => SHA256.HashData(block, leaf);

    /// <summary>An inner node: SHA-256 of the left child's hash followed by the right child's.</summary>
    public static void HashPair(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> parent)
    {
        Span<byte> both = stackalloc byte[2 * HashSize];
        left.CopyTo(both);
        right.CopyTo(both[HashSize..]);
        SHA256.HashData(both, parent);
    }

    /// <summary>The root of a subtree of <paramref name="leafCount"/> zero leaves (a power of two): the hash that
    /// stands for padding at the layer that many leaves above the bottom (one zero hash for a single leaf).</summary>
    public static byte[] PadHash(long leafCount)
    {
        if (leafCount < 1 || !BitOperations.IsPow2(leafCount)) throw new ArgumentOutOfRangeException(nameof(leafCount), leafCount, "must be a power of two");
        var hash = new byte[HashSize];
        for (var width = 1L; width < leafCount; width *= 2) HashPair(hash, hash, hash);
        return hash;
    }

    /// <summary>The root over a layer of concatenated hashes, padded with <paramref name="padHash"/> up to
    /// <paramref name="width"/> nodes (a power of two, at least the number of hashes given).</summary>
    /// <param name="hashes">The layer's real nodes, 32 bytes each, left to right.</param>
    /// <param name="width">The layer's full width, padding included.</param>
    /// <param name="padHash">What stands in for a missing node on this layer (zero on the leaf layer).</param>
    public static byte[] RootOfLayer(ReadOnlySpan<byte> hashes, long width, ReadOnlySpan<byte> padHash)
    {
        if (hashes.Length % HashSize != 0) throw new ArgumentException($"a layer is whole 32-byte hashes, got {hashes.Length} bytes", nameof(hashes));
        var count = hashes.Length / HashSize;
        if (width < 1 || !BitOperations.IsPow2(width) || count > width)
            throw new ArgumentOutOfRangeException(nameof(width), width, $"must be a power of two of at least {count}");
        if (count == 0) return RaisePad(padHash, width);

        var layer = hashes.ToArray();
        var pad = padHash.ToArray();
        for (; width > 1; width /= 2)
        {
            // Each pair becomes its parent in place; an odd last node pairs with this layer's padding.
            var parents = (count + 1) / 2;
            for (var i = 0; i < parents; i++)
            {
                var left = layer.AsSpan(2 * i * HashSize, HashSize);
                ReadOnlySpan<byte> right = 2 * i + 1 < count ? layer.AsSpan((2 * i + 1) * HashSize, HashSize) : pad;
                HashPair(left, right, layer.AsSpan(i * HashSize, HashSize));
            }
            HashPair(pad, pad, pad);
            count = parents;
        }
        return layer[..HashSize];
    }

    /// <summary>The leaf hashes of <paramref name="data"/>: one per 16 KiB block, the last block possibly shorter.</summary>
    public static byte[] LeafHashes(ReadOnlySpan<byte> data)
    {
        var blocks = (int)BlockCount(data.Length);
        var leaves = new byte[blocks * HashSize];
        for (var i = 0; i < blocks; i++)
        {
            var start = i * BlockSize;
            HashBlock(data.Slice(start, Math.Min(BlockSize, data.Length - start)), leaves.AsSpan(i * HashSize, HashSize));
        }
        return leaves;
    }

    /// <summary>A file's <c>pieces root</c> from its bytes (in memory; creating a torrent streams large files block by block).</summary>
    /// <exception cref="ArgumentException">An empty file: BEP 52 gives it no pieces root.</exception>
    public static byte[] FileRoot(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) throw new ArgumentException("an empty file has no pieces root (BEP 52: 'for non-empty files')", nameof(data));
        return RootOfLayer(LeafHashes(data), LeafCount(data.Length), new byte[HashSize]);
    }

    /// <summary>The hash of one piece of a file that spans more than one piece: the subtree root over the piece's
    /// blocks, padded with zero leaves to a full piece (the last piece of a file is usually short).</summary>
    public static byte[] PieceRoot(ReadOnlySpan<byte> pieceData, int pieceLength)
    {
        var blocksPerPiece = BlocksPerPiece(pieceLength);
        if (pieceData.IsEmpty || pieceData.Length > pieceLength)
            throw new ArgumentOutOfRangeException(nameof(pieceData), pieceData.Length, $"a piece holds 1..{pieceLength} bytes");
        return RootOfLayer(LeafHashes(pieceData), blocksPerPiece, new byte[HashSize]);
    }

    /// <summary>The pieces root from a file's piece layer: the piece hashes padded with whole pieces of padding.</summary>
    /// <param name="pieceLayer">The file's piece hashes, 32 bytes each (as in <c>piece layers</c>).</param>
    /// <param name="pieceLength">The torrent's piece length: a power of two of at least 16 KiB.</param>
    public static byte[] RootFromPieceLayer(ReadOnlySpan<byte> pieceLayer, int pieceLength)
    {
        var pieces = pieceLayer.Length / HashSize;
        return RootOfLayer(pieceLayer, (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, pieces)), PadHash(BlocksPerPiece(pieceLength)));
    }

    /// <summary>How many leaves one piece covers: <paramref name="pieceLength"/> / 16 KiB.</summary>
    public static int BlocksPerPiece(int pieceLength)
    {
        if (pieceLength < BlockSize || !BitOperations.IsPow2(pieceLength))
            throw new ArgumentOutOfRangeException(nameof(pieceLength), pieceLength, "a v2 piece length is a power of two of at least 16 KiB");
        return pieceLength / BlockSize;
    }

    /// <summary>The hash a piece's data must have: the pieces root itself for a file of one piece or less, else
    /// the piece's subtree root (<see cref="PieceRoot"/>).</summary>
    /// <param name="pieceData">The file's bytes in this piece (without any alignment padding after the file).</param>
    /// <param name="fileLength">The whole file's length, which decides which of the two rules applies.</param>
    /// <param name="pieceLength">The torrent's piece length.</param>
    public static byte[] PieceHash(ReadOnlySpan<byte> pieceData, long fileLength, int pieceLength) =>
        fileLength <= pieceLength ? FileRoot(pieceData) : PieceRoot(pieceData, pieceLength);

    /// <summary>Climbs from a node to the root with one uncle (sibling) hash per layer, nearest first: a node at an
    /// even index is a left child, at an odd index a right child.</summary>
    /// <param name="node">The starting hash: a leaf, or a node of a higher layer (a piece hash).</param>
    /// <param name="index">The node's position in its layer.</param>
    /// <param name="uncles">The sibling hashes bottom to top, 32 bytes each; after the last, the result is the root.</param>
    public static byte[] RootFromProof(ReadOnlySpan<byte> node, long index, ReadOnlySpan<byte> uncles)
    {
        if (node.Length != HashSize || uncles.Length % HashSize != 0) throw new ArgumentException("hashes are 32 bytes each");
        if (index < 0 || (uncles.Length / HashSize < 63 && index >> (uncles.Length / HashSize) != 0))
            throw new ArgumentOutOfRangeException(nameof(index), index, $"a proof of {uncles.Length / HashSize} layers reaches {1L << Math.Min(62, uncles.Length / HashSize)} nodes");
        var hash = node.ToArray();
        for (var i = 0; i < uncles.Length; i += HashSize, index /= 2)
        {
            var uncle = uncles.Slice(i, HashSize);
            if (index % 2 == 0) HashPair(hash, uncle, hash);
            else HashPair(uncle, hash, hash);
        }
        return hash;
    }

    /// <summary>True when a 16 KiB block at <paramref name="blockIndex"/> of a file, with its uncle hashes, leads to
    /// the file's pieces root: a single block verified without the rest of its piece.</summary>
    public static bool VerifyBlock(ReadOnlySpan<byte> block, long blockIndex, ReadOnlySpan<byte> uncles, ReadOnlySpan<byte> piecesRoot)
    {
        Span<byte> leaf = stackalloc byte[HashSize];
        HashBlock(block, leaf);
        return RootFromProof(leaf, blockIndex, uncles).AsSpan().SequenceEqual(piecesRoot);
    }

    /// <summary>True when piece <paramref name="pieceInFile"/> of a file hashes to what the file's tree says: its
    /// entry of the piece layer (which the metainfo already checked against the root), or the root itself for a
    /// file of one piece.</summary>
    /// <param name="pieceData">The file's bytes in this piece, without alignment padding.</param>
    /// <param name="pieceInFile">The piece's index counted from the file's first piece.</param>
    /// <param name="fileLength">The file's length.</param>
    /// <param name="pieceLength">The torrent's piece length.</param>
    /// <param name="piecesRoot">The file's <c>pieces root</c>.</param>
    /// <param name="pieceLayer">The file's piece layer (empty for a file of one piece).</param>
    public static bool VerifyPiece(ReadOnlySpan<byte> pieceData, int pieceInFile, long fileLength, int pieceLength,
        ReadOnlySpan<byte> piecesRoot, ReadOnlySpan<byte> pieceLayer)
    {
        var expected = fileLength <= pieceLength ? piecesRoot
            : (long)(pieceInFile + 1) * HashSize <= pieceLayer.Length ? pieceLayer.Slice(pieceInFile * HashSize, HashSize)
            : throw new ArgumentOutOfRangeException(nameof(pieceInFile), pieceInFile, $"the piece layer holds {pieceLayer.Length / HashSize} pieces");
        return PieceHash(pieceData, fileLength, pieceLength).AsSpan().SequenceEqual(expected);
    }

    private static byte[] RaisePad(ReadOnlySpan<byte> padHash, long width)
    {
        var hash = padHash.ToArray();
        for (; width > 1; width /= 2) HashPair(hash, hash, hash);
        return hash;
    }
}
