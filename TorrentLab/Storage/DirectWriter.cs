using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TorrentLab.Storage;

/// <summary>Writes that bypass the page cache (Linux <c>O_DIRECT</c>): the fast path beside
/// <see cref="RandomAccessFile"/>'s plain positional write, which stays the simple version and the fallback.</summary>
/// <remarks>
/// A plain write copies the bytes into the kernel's page cache, which has to find a free page for each 4 KiB first;
/// with <c>O_DIRECT</c> the device reads them from our buffer, for less CPU, and a finished download does not push
/// everything else out of the cache (the figures: bench/README.md, "Decisions in the code"). The price is <c>O_DIRECT</c>'s rules: buffer,
/// file offset and length aligned to the device's block (4 KiB covers every block size in use), so an aligned 1 MiB run
/// (<see cref="RunLength"/>) is copied into an aligned buffer and written from there, and everything else (pieces under
/// 1 MiB, a file starting mid-piece, a short last piece's tail) is written the plain way. A file system that refuses
/// <c>O_DIRECT</c> (tmpfs on older kernels, some network file systems) is written the plain way throughout.
/// </remarks>
internal sealed class DirectWriter : IDisposable
{
    /// <summary>The alignment of buffer, offset and length: 4 KiB, a multiple of every device block size in use.</summary>
    public const int Alignment = 4096;

    /// <summary>What one direct write carries, always: an aligned 1 MiB run (a whole common piece), the size of each
    /// aligned buffer. Shorter runs go through the page cache: a direct write waits for the device whatever its size,
    /// which slowed 256 KiB pieces and not 1 MiB ones (bench/README.md, "Decisions in the code").</summary>
    internal const int RunLength = 1024 * 1024;

    // <fcntl.h>: F_GETFL and F_SETFL are the same everywhere; O_DIRECT is not (asm-generic 040000, arm and arm64 0200000).
    private const int GetFlags = 3;
    private const int SetFlags = 4;

    /// <summary>Aligned buffers kept for reuse: as many as writes ran at once, at most this many (a buffer per thread
    /// that ever wrote held 5-8 MiB with three seeders).</summary>
    private const int KeptBuffers = 4;
    private static readonly ConcurrentStack<byte[]> s_buffers = new(); // pinned arrays: their aligned windows never move

    private readonly SafeFileHandle _handle;
    private volatile bool _refused; // a direct write failed where a plain one succeeded: write plainly from then on
    private long _written;

    /// <summary>Direct writes through <paramref name="handle"/>, which must have been opened with <c>O_DIRECT</c>
    /// (tests give it one without, or a read-only one, to see the fallback).</summary>
    internal DirectWriter(SafeFileHandle handle) => _handle = handle;

    /// <summary>True once the file system refused a direct write: the rest of the file is written plainly.</summary>
    public bool Refused => _refused;

    /// <summary>Bytes written past the page cache so far.</summary>
    public long BytesWritten => Interlocked.Read(ref _written);

    /// <summary>The handle the direct writes go through.</summary>
    internal SafeFileHandle Handle => _handle;

    /// <summary>Opens the file behind <paramref name="file"/> a second time, for direct writes; null where the platform
    /// or the file system has no <c>O_DIRECT</c> (the caller then writes plainly).</summary>
    /// <remarks>It is reopened through the open handle (<c>/proc/self/fd/N</c>), not by its path: whatever has happened
    /// to the path since it was checked to stay in the output folder, this is the same file.</remarks>
    public static DirectWriter? TryOpen(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux() || DirectFlag() is not { } direct) return null;
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle($"/proc/self/fd/{file.DangerousGetHandle()}", FileMode.Open, FileAccess.Write,
                FileShare.ReadWrite | FileShare.Delete);
            var fd = (int)handle.DangerousGetHandle();
            var flags = Fcntl(fd, GetFlags, 0);
            if (flags < 0 || Fcntl(fd, SetFlags, flags | direct) < 0) { handle.Dispose(); return null; }
            return new DirectWriter(handle);
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            handle?.Dispose();
            return null; // the plain handle is open, so this is not the file's problem: write plainly
        }
    }

    /// <summary>Whether a write of <paramref name="length"/> bytes at <paramref name="fileOffset"/> starts with a run that
    /// may go direct: an aligned offset and at least <see cref="RunLength"/> bytes.</summary>
    public static bool StartsRun(long fileOffset, int length) => fileOffset % Alignment == 0 && length >= RunLength;

    /// <summary>How many bytes at the start of a write of <paramref name="length"/> bytes at <paramref name="fileOffset"/>
    /// go direct: <see cref="RunLength"/> when it <see cref="StartsRun"/> and the file system takes direct writes, else 0.</summary>
    public int DirectLength(long fileOffset, int length) => !_refused && StartsRun(fileOffset, length) ? RunLength : 0;

    /// <summary>Writes <paramref name="data"/> (a <see cref="DirectLength"/>) at <paramref name="fileOffset"/>; false when the
    /// file system refused, so the caller writes it plainly (and, if that works, this writer is not used again).</summary>
    public bool TryWrite(ReadOnlySpan<byte> data, long fileOffset)
    {
        if (!s_buffers.TryPop(out var buffer)) buffer = GC.AllocateUninitializedArray<byte>(RunLength + Alignment, pinned: true);
        try
        {
            var window = buffer.AsSpan(AlignedStart(buffer), data.Length);
            data.CopyTo(window);
            RandomAccess.Write(_handle, window, fileOffset);
            Interlocked.Add(ref _written, window.Length);
            return true;
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            return false;
        }
        finally
        {
            if (s_buffers.Count < KeptBuffers) s_buffers.Push(buffer);
        }
    }

    /// <summary>The caller's plain write succeeded where the direct one failed: the file system does not take them.</summary>
    public void Refuse() => _refused = true;

    public void Dispose() => _handle.Dispose();

    private static int AlignedStart(byte[] pinned)
    {
        var handle = GCHandle.Alloc(pinned, GCHandleType.Pinned); // the array lives on the pinned heap: the address holds
        try { return (int)((Alignment - handle.AddrOfPinnedObject() % Alignment) % Alignment); }
        finally { handle.Free(); }
    }

    /// <summary>O_DIRECT's value on this architecture, or null where it is not known.</summary>
    internal static int? DirectFlag() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 or Compat.Architectures.RiscV64 or Architecture.LoongArch64 => 0x4000,
        Architecture.Arm or Architecture.Arm64 => 0x10000,
        _ => null,
    };

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);
}
