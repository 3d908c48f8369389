namespace TorrentLab.Storage;

/// <summary>Where verified pieces go and where seeding reads blocks from: the engine's only view of the disk.</summary>
/// <remarks>Implementations are thread-safe (pieces are written from many peer tasks at once) and report every
/// failure as a <see cref="StorageException"/> (<see cref="StorageException.IsOutOfSpace"/> for a full disk).
/// <see cref="FileStorage"/> is the real one; tests fake this interface to simulate disk faults.</remarks>
internal interface IPieceStorage : IDisposable
{
    /// <summary>Writes a whole verified piece (exactly its length) to the files it spans.</summary>
    ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellation = default);

    /// <summary>Reads <paramref name="buffer"/>.Length bytes of piece <paramref name="index"/> from offset
    /// <paramref name="begin"/> (a block to serve to a peer). Throws when the data is not all on disk.</summary>
    ValueTask ReadAsync(int index, int begin, Memory<byte> buffer, CancellationToken cancellation = default);

    /// <summary>Forces written data to disk; the resume ledger is saved only after this.</summary>
    ValueTask FlushAsync(CancellationToken cancellation = default);
}
