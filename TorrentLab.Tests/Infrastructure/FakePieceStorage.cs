using TorrentLab.Storage;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>An <see cref="IPieceStorage"/> that keeps no data: it counts writes and flushes and fails them when a test
/// says so (a full disk, a refused permission) without touching a real disk.</summary>
internal sealed class FakePieceStorage : IPieceStorage
{
    private int _writes, _flushes;

    /// <summary>Given the number of this write (1 for the first), the error it fails with, or null to succeed.</summary>
    public Func<int, Exception?> WriteFailure { get; init; } = _ => null;

    /// <summary>The error every flush fails with; null (the default) lets flushes succeed.</summary>
    public Exception? FlushFailure { get; set; }

    /// <summary>The writes asked for, failed ones included.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>The flushes asked for, failed ones included.</summary>
    public int Flushes => Volatile.Read(ref _flushes);

    public ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellation = default) =>
        WriteFailure(Interlocked.Increment(ref _writes)) is { } error ? ValueTask.FromException(error) : ValueTask.CompletedTask;

    /// <summary>Reads return zeros (a seeder whose blocks nobody checks); false (the default) makes every read fail.</summary>
    public bool ReadsZeros { get; init; }

    public ValueTask ReadAsync(int index, int begin, Memory<byte> buffer, CancellationToken cancellation = default)
    {
        if (!ReadsZeros) return ValueTask.FromException(new InvalidOperationException($"this fake keeps no data: piece {index} offset {begin} cannot be read"));
        buffer.Span.Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellation = default)
    {
        Interlocked.Increment(ref _flushes);
        return FlushFailure is { } error ? ValueTask.FromException(error) : ValueTask.CompletedTask;
    }

    public void Dispose() { }
}
