using System.Runtime.InteropServices;

namespace TorrentLab.Storage;

/// <summary>Which folder a path names now: its device and inode (links followed), as <c>stat(2)</c> tells them.</summary>
/// <remarks>A download keeps its files open, but its resume ledger is saved by path. If the output folder is renamed
/// and another folder (or a symbolic link to one) put in its place during a download, a save by path would describe
/// the other folder's files as this download's pieces, and the next run would trust it ("already complete" over a
/// decoy). So the ledger remembers the folder it started in and checks before each save that the path still names
/// it. .NET exposes no inode, so on Linux this asks <c>statx(2)</c>, whose layout is the same on every architecture;
/// elsewhere the canonical path (<see cref="RealPath"/>) stands in, which catches a link put in the folder's place.</remarks>
internal readonly record struct FolderIdentity(ulong Device, ulong Inode, string? Canonical)
{
    // statx(2): struct statx is 256 bytes. <u32 mask><u32 blksize><u64 attributes><u32 nlink><u32 uid><u32 gid>
    // <u16 mode @28><u16 spare><u64 ino @32>...<u32 dev_major @136><u32 dev_minor @140>...
    private const int StatxSize = 256;
    private const int ModeOffset = 28;
    private const int InoOffset = 32;
    private const int DevMajorOffset = 136;
    private const int DevMinorOffset = 140;
    private const int AtFdCwd = -100;    // <fcntl.h>: resolve relative paths against the working folder.
    private const uint StatxType = 0x1;  // STATX_TYPE: the file type bits of stx_mode
    private const uint StatxIno = 0x100; // STATX_INO (the device numbers are always filled in)
    private const int FileTypeMask = 0xF000; // S_IFMT
    private const int FolderType = 0x4000;   // S_IFDIR

    /// <summary>The identity of the folder <paramref name="path"/> names now, or null when it does not exist.</summary>
    public static FolderIdentity? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return Directory.Exists(path) ? new FolderIdentity(0, 0, RealPath.Resolve(path)) : null;
        // One statx(2) tells whether it is a folder and which: a save asks this up to three times.
        return Stat(path) is { IsFolder: true } node ? new FolderIdentity(node.Device, node.Inode, null) : null;
    }

    /// <summary>The device and inode of whatever <paramref name="path"/> names now (file or folder, links followed),
    /// or null when it does not exist or the system cannot tell (not Linux). Used to undo a write that a swapped
    /// folder sent elsewhere: only the file we wrote is removed, never one that was there before.</summary>
    public static (ulong Device, ulong Inode)? NodeOf(string path) =>
        OperatingSystem.IsLinux() && Stat(path) is { } node ? (node.Device, node.Inode) : null;

    // statx(2) of what the path names (links followed), or null when it does not exist or cannot be asked.
    private static (ulong Device, ulong Inode, bool IsFolder)? Stat(string path)
    {
        var buffer = new byte[StatxSize];
        if (Statx(AtFdCwd, path, 0, StatxType | StatxIno, buffer) != 0) return null;
        // The kernel writes in the machine's byte order.
        var device = (ulong)BitConverter.ToUInt32(buffer, DevMajorOffset) << 32 | BitConverter.ToUInt32(buffer, DevMinorOffset);
        var isFolder = (BitConverter.ToUInt16(buffer, ModeOffset) & FileTypeMask) == FolderType;
        return (device, BitConverter.ToUInt64(buffer, InoOffset), isFolder);
    }

    public override string ToString() => Canonical ?? $"device {Device >> 32}:{Device & 0xFFFF_FFFF}, inode {Inode}";

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
