using System.Buffers;

namespace TorrentLab.Pieces;

/// <summary>A complete piece whose SHA-1 matched, in a pooled buffer: write it to storage, then dispose it.</summary>
/// <remarks>Disposing returns the buffer to <see cref="ArrayPool{T}.Shared"/>; <see cref="Data"/> must not be used
/// afterwards. Dispose is idempotent and thread-safe.</remarks>
internal sealed class VerifiedPiece : IDisposable
{
    private byte[]? _buffer;

    internal VerifiedPiece(int index, byte[] buffer, int length, IReadOnlyList<IBlockSource>? senders = null, IBlockSource? mainSender = null)
    {
        Index = index;
        _buffer = buffer;
        Length = length;
        Senders = senders ?? [];
        MainSender = mainSender ?? (Senders.Count > 0 ? Senders[0] : null);
    }

    /// <summary>Who sent the blocks of this copy, as the piece manager recorded them with the blocks themselves.</summary>
    public IReadOnlyList<IBlockSource> Senders { get; }

    /// <summary>The one of <see cref="Senders"/> that sent most of its blocks (the piece map names it); null when none is known.</summary>
    public IBlockSource? MainSender { get; }

    /// <summary>The piece index.</summary>
    public int Index { get; }

    /// <summary>The piece length in bytes.</summary>
    public int Length { get; }

    /// <summary>The piece's bytes (valid until disposed).</summary>
    public ReadOnlyMemory<byte> Data => new(_buffer ?? throw new ObjectDisposedException(nameof(VerifiedPiece)), 0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
