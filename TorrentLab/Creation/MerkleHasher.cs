using TorrentLab.Merkle;

namespace TorrentLab.Creation;

/// <summary>A file's BEP 52 hashes: its <c>pieces root</c> and, for a file longer than one piece, its piece layer.</summary>
internal sealed record FileHashes(byte[] PiecesRoot, byte[] PieceLayer);

/// <summary>Computes one file's v2 hashes by streaming it: leaf hashes per 16 KiB block, then the piece layer and
/// root with <see cref="MerkleTree"/> (32 bytes of leaves per 16 KiB read: 2 MiB for a 1 GiB file).</summary>
internal static class MerkleHasher
{
    private const int ReadBytes = 4 * 1024 * 1024; // whole blocks: 256 leaves per read, hashed in parallel

    /// <summary>Hashes <paramref name="length"/> bytes (more than zero) from <paramref name="reader"/>.</summary>
    public static FileHashes Hash(PayloadReader reader, long length, int pieceLength, Action<long>? hashed, CancellationToken cancellation)
    {
        var blocks = checked((int)MerkleTree.BlockCount(length));
        var leaves = new byte[checked(blocks * MerkleTree.HashSize)];
        var buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(ReadBytes, length));
        long position = 0;
        while (position < length)
        {
            cancellation.ThrowIfCancellationRequested();
            var read = reader.Read(buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - position)));
            if (read == 0) throw new CreationException($"the file ended after {position} of {length} bytes (it shrank while it was hashed)");
            var first = (int)(position / MerkleTree.BlockSize);
            var count = (read + MerkleTree.BlockSize - 1) / MerkleTree.BlockSize;
            Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellation }, b =>
            {
                var start = b * MerkleTree.BlockSize;
                MerkleTree.HashBlock(buffer.AsSpan(start, Math.Min(MerkleTree.BlockSize, read - start)),
                    leaves.AsSpan((first + b) * MerkleTree.HashSize, MerkleTree.HashSize));
            });
            position += read;
            hashed?.Invoke(read);
        }

        var zero = new byte[MerkleTree.HashSize];
        if (length <= pieceLength) return new FileHashes(MerkleTree.RootOfLayer(leaves, MerkleTree.LeafCount(length), zero), []);
        var perPiece = MerkleTree.BlocksPerPiece(pieceLength);
        var pieces = (blocks + perPiece - 1) / perPiece;
        var layer = new byte[pieces * MerkleTree.HashSize];
        for (var p = 0; p < pieces; p++)
        {
            var from = p * perPiece * MerkleTree.HashSize;
            var to = Math.Min(leaves.Length, from + perPiece * MerkleTree.HashSize);
            MerkleTree.RootOfLayer(leaves.AsSpan(from, to - from), perPiece, zero).CopyTo(layer, p * MerkleTree.HashSize);
        }
        return new FileHashes(MerkleTree.RootFromPieceLayer(layer, pieceLength), layer);
    }
}
