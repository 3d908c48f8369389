using System.Runtime.InteropServices;

namespace TorrentLab.Creation;

/// <summary>Tells regular files from FIFOs, sockets and devices, which .NET reports as ordinary files of size 0.</summary>
/// <remarks>Opening a FIFO blocks until someone writes to it, and a device has no meaningful size, so neither may go
/// into a torrent. .NET exposes no file type, so on Linux this asks <c>statx(2)</c>, whose layout is the same on every
/// architecture; elsewhere every file counts as regular.</remarks>
internal static class FileKind
{
    // statx(2): struct statx is 256 bytes; stx_mode is the u16 at offset 28.
    // <u32 mask><u32 blksize><u64 attributes><u32 nlink><u32 uid><u32 gid><u16 mode>...
    private const int StatxSize = 256;
    private const int ModeOffset = 28;
    private const int AtFdCwd = -100;   // <fcntl.h>: resolve relative paths against the working folder.
    private const uint StatxType = 0x1; // STATX_TYPE: only the file type bits are wanted.
    private const int TypeMask = 0xF000;    // S_IFMT
    private const int RegularFile = 0x8000; // S_IFREG

    /// <summary>False only when the path is known to be something other than a regular file (links are followed).</summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux()) return true;
        var buffer = new byte[StatxSize];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return true; // the open that follows reports the real error
        var mode = BitConverter.ToUInt16(buffer, ModeOffset); // the kernel writes in the machine's byte order
        return (mode & TypeMask) == RegularFile;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
