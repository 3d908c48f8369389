using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TorrentLab.Web;

/// <summary>Reads one file of the watch folder, and only a regular file of at most a limit: never a symbolic link, a
/// FIFO, a device or a socket, never more than the limit and one byte, and never with an open that can wait.</summary>
/// <remarks>
/// <para>A FIFO holds whoever opens it until a writer comes; a link to <c>/dev/zero</c> never ends; a sparse file
/// claims gigabytes it does not hold. So the file is looked at first without following a link (its type and size),
/// refused unless it is a regular file within the limit, then opened with <c>O_NONBLOCK</c> (so a FIFO put in its place
/// meanwhile cannot hold the open) and looked at again through what was opened: still a regular file, the same device
/// and inode. The read stops at the limit and one byte, so a file that grew since is refused too.</para>
/// <para>Every symbolic link is refused, even one to a file inside the folder: what a user drops is the file itself,
/// and a link followed could lead anywhere the server may read.</para>
/// <para>.NET tells neither a file's type nor opens with <c>O_NONBLOCK</c>, so on Linux this calls <c>statx(2)</c>
/// (whose layout is the same on every architecture) and <c>open(2)</c> (whose four flags used here have the same
/// values on every architecture .NET runs Linux on). Elsewhere a link is refused and the size checked through
/// <see cref="FileInfo"/>, and a FIFO cannot be told from a file.</para>
/// </remarks>
internal static class WatchedFileReader
{
    /// <summary>Reads the regular file at <paramref name="path"/>, of at most <paramref name="limit"/> bytes.</summary>
    /// <exception cref="WatchedFileException">Not a regular file (a link, a FIFO, a device, a socket, a folder), or
    /// larger than the limit: it will never be a torrent.</exception>
    /// <exception cref="IOException">It went away, or could not be read (<see cref="UnauthorizedAccessException"/>
    /// when permission is denied): it may be read later.</exception>
    public static async Task<byte[]> ReadAsync(string path, long limit, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var cap = (int)Math.Min(limit, Array.MaxLength - 1);
        using var handle = Open(path, cap, out var size);
        // limit + 1 bytes at most: the one more byte tells a file larger than the limit from one exactly as large.
        var buffer = new byte[Math.Min(cap, size) + 1];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (filled > cap) throw TooLarge($"more than {cap} bytes", cap); // it grew after it was looked at
                Array.Resize(ref buffer, (int)Math.Min(cap + 1L, 2L * buffer.Length));
            }
            var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(filled), filled, ct).ConfigureAwait(false);
            if (read == 0) break;
            filled += read;
        }
        Array.Resize(ref buffer, filled);
        return buffer;
    }

    private static WatchedFileException TooLarge(string size, long limit) => new($"{size}, larger than the limit of {limit} bytes");

    /// <summary>Opens the file for reading once it is known to be a regular file within the limit; its size then.</summary>
    private static SafeFileHandle Open(string path, int cap, out long size)
    {
        if (!OperatingSystem.IsLinux())
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null) throw NotRegular("a symbolic link");
            if (info.Attributes.HasFlag(FileAttributes.Directory)) throw NotRegular("a folder");
            if (!info.Exists) throw new FileNotFoundException("no such file", path);
            if (info.Length > cap) throw TooLarge($"{info.Length} bytes", cap);
            size = info.Length;
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        var before = Node.OfPath(path);
        if (before.Kind != RegularFile) throw NotRegular(Describe(before.Kind));
        if (before.Size > (ulong)cap) throw TooLarge($"{before.Size} bytes", cap);
        var fd = OpenFile(path, ReadOnly | NonBlocking | NoControllingTerminal | CloseOnExec);
        if (fd < 0) throw Error(Marshal.GetLastPInvokeError(), path);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // What was opened is what was looked at: a FIFO, device or link put in its place since is refused here.
            var after = Node.OfHandle(handle, path);
            if (after.Kind != RegularFile) throw NotRegular(Describe(after.Kind));
            if (after.Device != before.Device || after.Inode != before.Inode) throw new IOException("it was replaced while it was read");
            size = (long)Math.Min(after.Size, (ulong)cap + 1);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static WatchedFileException NotRegular(string kind) => new($"{kind}, not a regular file");

    // <sys/stat.h>: the file type bits of st_mode (S_IFMT) and their values.
    private const int TypeMask = 0xF000;
    private const int RegularFile = 0x8000;

    private static string Describe(int kind) => kind switch
    {
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x4000 => "a folder",
        0x6000 => "a block device",
        0xA000 => "a symbolic link",
        0xC000 => "a socket",
        _ => $"a file of type 0x{kind:x4}",
    };

    /// <summary>What <c>statx(2)</c> tells of a file: its type, size, device and inode.</summary>
    private readonly record struct Node(int Kind, ulong Size, ulong Device, ulong Inode)
    {
        // statx(2): struct statx is 256 bytes. <u32 mask><u32 blksize><u64 attributes><u32 nlink><u32 uid><u32 gid>
        // <u16 mode @28><u16 spare><u64 ino @32><u64 size @40>...<u32 dev_major @136><u32 dev_minor @140>...
        private const int StatxSize = 256;
        private const int AtFdCwd = -100;              // <fcntl.h>: a relative path from the working folder
        private const int AtSymlinkNoFollow = 0x100;   // a link is described, not what it names
        private const int AtEmptyPath = 0x1000;        // with an empty path: the open descriptor itself
        private const uint Wanted = 0x1 | 0x100 | 0x200; // STATX_TYPE | STATX_INO | STATX_SIZE (the device always comes)

        public static Node OfPath(string path)
        {
            var buffer = new byte[StatxSize];
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, Wanted, buffer) != 0) throw Error(Marshal.GetLastPInvokeError(), path);
            return Read(buffer);
        }

        public static Node OfHandle(SafeFileHandle handle, string path)
        {
            var buffer = new byte[StatxSize];
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                if (Statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, Wanted, buffer) != 0) throw Error(Marshal.GetLastPInvokeError(), path);
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
            return Read(buffer);
        }

        // The kernel writes in the machine's byte order.
        private static Node Read(byte[] buffer) => new(
            BitConverter.ToUInt16(buffer, 28) & TypeMask,
            BitConverter.ToUInt64(buffer, 40),
            (ulong)BitConverter.ToUInt32(buffer, 136) << 32 | BitConverter.ToUInt32(buffer, 140),
            BitConverter.ToUInt64(buffer, 32));

        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
    }

    // <fcntl.h>, the same on x64, x86, Arm, Arm64, s390x, ppc64le, RISC-V and LoongArch.
    private const int ReadOnly = 0;
    private const int NoControllingTerminal = 0x100; // O_NOCTTY: a terminal opened never becomes ours
    private const int NonBlocking = 0x800;           // O_NONBLOCK: the open of a FIFO returns at once
    private const int CloseOnExec = 0x80000;         // O_CLOEXEC: a process we start does not inherit it

    /// <summary>An errno as .NET's own file calls report it: missing, denied, or another I/O error.</summary>
    private static Exception Error(int errno, string path)
    {
        var message = Marshal.GetPInvokeErrorMessage(errno);
        return errno switch
        {
            2 => new FileNotFoundException(message, path),       // ENOENT
            1 or 13 => new UnauthorizedAccessException(message), // EPERM, EACCES
            _ => new IOException(message, errno),
        };
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
