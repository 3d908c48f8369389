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
/// <remarks>A write's aligned 1 MiB runs go past the page cache through a <see cref="DirectWriter"/>, opened at the
/// first write that starts one; the rest, and everything where the file system refuses that, is written plainly in
/// runs of at most <see cref="PlainWriteLength"/>.</remarks>
internal sealed class RandomAccessFile(SafeFileHandle handle, Func<SafeFileHandle, DirectWriter?> openDirect) : IStorageFile
{
    /// <summary>The largest plain write: a 1 MiB piece is written in four, since the kernel's copy of one 1 MiB write
    /// into the page cache cost far more than four of 256 KiB (bench/README.md, "Decisions in the code").</summary>
    internal const int PlainWriteLength = 256 * 1024;

    private readonly Lock _directLock = new();
    private DirectWriter? _direct;
    private bool _directOpened;

    public static IStorageFile Open(string path, bool writable) => new RandomAccessFile(File.OpenHandle(path,
        writable ? FileMode.OpenOrCreate : FileMode.Open,
        writable ? FileAccess.ReadWrite : FileAccess.Read,
        FileShare.ReadWrite | FileShare.Delete), DirectWriter.TryOpen);

    public long Length => RandomAccess.GetLength(handle);

    // On Linux this is ftruncate: the file grows sparse, no blocks are written until data arrives.
    public void SetLength(long length) => RandomAccess.SetLength(handle, length);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken cancellation)
    {
        while (!data.IsEmpty)
        {
            cancellation.ThrowIfCancellationRequested();
            var direct = DirectWriter.StartsRun(fileOffset, data.Length) ? Direct() : null; // small pieces never open it
            var length = direct?.DirectLength(fileOffset, data.Length) ?? 0;
            if (length > 0)
            {
                if (!direct!.TryWrite(data.Span[..length], fileOffset))
                {
                    RandomAccess.Write(handle, data.Span[..length], fileOffset); // a full disk fails here too, as itself
                    direct.Refuse();
                }
            }
            else
            {
                length = Math.Min(data.Length, PlainWriteLength);
                await RandomAccess.WriteAsync(handle, data[..length], fileOffset, cancellation).ConfigureAwait(false);
            }
            data = data[length..];
            fileOffset += length;
        }
    }

    public ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellation) =>
        RandomAccess.ReadAsync(handle, buffer, fileOffset, cancellation);

    public void Flush() => RandomAccess.FlushToDisk(handle);

    /// <summary>Direct writes to this file, opened at the first write; null where they are not available.</summary>
    internal DirectWriter? Direct()
    {
        if (Volatile.Read(ref _directOpened)) return _direct; // every write after the first: no lock
        lock (_directLock)
        {
            if (!_directOpened && !handle.IsClosed) _direct = openDirect(handle);
            Volatile.Write(ref _directOpened, true);
            return _direct;
        }
    }

    public void Dispose()
    {
        lock (_directLock)
        {
            _direct?.Dispose();
            Volatile.Write(ref _directOpened, true);
        }
        handle.Dispose();
    }
}
