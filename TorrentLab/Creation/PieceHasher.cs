using System.Security.Cryptography;
using TorrentLab.Metainfo;

namespace TorrentLab.Creation;

/// <summary>Computes <c>info.pieces</c>: the SHA-1 of every piece of the concatenated payload, 20 bytes each (BEP 3).</summary>
/// <remarks>
/// <code>
/// payload:  |&lt;---- piece 0 ----&gt;|&lt;---- piece 1 ----&gt;| ... |&lt;- last, shorter -&gt;|
/// pieces:   &lt;sha1(piece 0) 20&gt;&lt;sha1(piece 1) 20&gt; ... &lt;sha1(last) 20&gt;
/// </code>
/// Pieces ignore file boundaries: a piece may span the end of one file and the start of the next.
/// Two buffers of whole pieces take turns: while the pieces of one are hashed (in parallel across the cores, each
/// piece on one core), the next is read, so reading and hashing overlap.
/// </remarks>
internal static class PieceHasher
{
    private const int TargetBufferBytes = 8 * 1024 * 1024; // large sequential reads; at least 2 pieces per buffer

    /// <summary>Hashes <paramref name="totalLength"/> bytes from <paramref name="reader"/>, reporting bytes hashed so far.</summary>
    public static byte[] Hash(PayloadReader reader, long totalLength, int pieceLength, IProgress<long>? progress, CancellationToken cancellation)
    {
        var pieceCount = checked((int)((totalLength + pieceLength - 1) / pieceLength));
        var hashes = new byte[checked(pieceCount * InfoHash.Length)];
        var piecesPerBuffer = (int)Math.Min(Math.Max(2, TargetBufferBytes / pieceLength), pieceCount);
        var buffers = new[]
        {
            GC.AllocateUninitializedArray<byte>(piecesPerBuffer * pieceLength),
            GC.AllocateUninitializedArray<byte>(pieceCount > piecesPerBuffer ? piecesPerBuffer * pieceLength : 0),
        };

        long position = 0;
        var piece = 0;
        var current = 0;
        var length = reader.Read(buffers[current]);
        Task<int>? nextRead = null;
        try
        {
            while (length > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                var next = 1 - current;
                nextRead = position + length < totalLength ? Task.Run(() => reader.Read(buffers[next]), cancellation) : null;
                HashPieces(buffers[current], length, pieceLength, hashes, piece);
                piece += (length + pieceLength - 1) / pieceLength;
                position += length;
                progress?.Report(position);
                length = nextRead is null ? 0 : nextRead.GetAwaiter().GetResult();
                nextRead = null;
                current = next;
            }
        }
        finally
        {
            // Never leave a read running into a buffer (or a file handle) the caller is about to drop.
            if (nextRead is not null) Task.WaitAny(nextRead);
        }
        cancellation.ThrowIfCancellationRequested(); // cancelled while the last buffer was hashed
        if (position != totalLength)
            throw new CreationException($"the files ended after {position} bytes, but {totalLength} were scanned (a file shrank while it was hashed)");
        return hashes;
    }

    /// <summary>Hashes the pieces in <c>buffer[..length]</c> into <paramref name="hashes"/> from piece <paramref name="firstPiece"/>.</summary>
    private static void HashPieces(byte[] buffer, int length, int pieceLength, byte[] hashes, int firstPiece)
    {
        var count = (length + pieceLength - 1) / pieceLength;
        var workers = Math.Min(Environment.ProcessorCount, count);
        if (workers <= 1)
        {
            HashRange(buffer, length, pieceLength, hashes, firstPiece, 0, count);
            return;
        }
        Parallel.For(0, workers, w =>
            HashRange(buffer, length, pieceLength, hashes, firstPiece, count * w / workers, count * (w + 1) / workers));
    }

    private static void HashRange(byte[] buffer, int length, int pieceLength, byte[] hashes, int firstPiece, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var start = i * pieceLength;
            var piece = buffer.AsSpan(start, Math.Min(pieceLength, length - start));
            SHA1.HashData(piece, hashes.AsSpan((firstPiece + i) * InfoHash.Length, InfoHash.Length));
        }
    }
}
