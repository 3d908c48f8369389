using Microsoft.Win32.SafeHandles;

namespace TorrentLab.Storage;

/// <summary>The file operations <see cref="FileStorage"/> needs: the seam where tests inject disk faults.</summary>
internal interface IStorageFile : IDisposable
{
    long Length { get; }
    void SetLength(long length);
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken cancellation);
    ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellation);
    /// <summary>Forces written data to the disk (fsync).</summary>
    void Flush();
}

/// <summary>Opens an <see cref="IStorageFile"/>; <paramref name="writable"/> creates it when missing.</summary>
internal delegate IStorageFile StorageFileOpener(string path, bool writable);

/// <summary>A file kept open as a <see cref="SafeFileHandle"/> and accessed with <see cref="RandomAccess"/>
/// (positional reads and writes: safe from many threads at once, no shared file position).</summary>
internal sealed class RandomAccessFile(SafeFileHandle handle) : IStorageFile
{
    public static IStorageFile Open(string path, bool writable) => new RandomAccessFile(File.OpenHandle(path,
        writable ? FileMode.OpenOrCreate : FileMode.Open,
        writable ? FileAccess.ReadWrite : FileAccess.Read,
        FileShare.ReadWrite | FileShare.Delete));

    public long Length => RandomAccess.GetLength(handle);

    // On Linux this is ftruncate: the file grows sparse, no blocks are written until data arrives.
    public void SetLength(long length) => RandomAccess.SetLength(handle, length);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken cancellation) =>
        RandomAccess.WriteAsync(handle, data, fileOffset, cancellation);

    public ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellation) =>
        RandomAccess.ReadAsync(handle, buffer, fileOffset, cancellation);

    public void Flush() => RandomAccess.FlushToDisk(handle);

    public void Dispose() => handle.Dispose();
}
