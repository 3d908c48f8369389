namespace TorrentLab.Storage;

/// <summary>Turns the platform's I/O exceptions into <see cref="StorageException"/>s that say what was being done
/// where, and flag a full disk so the user knows that freeing space and resuming will work.</summary>
internal static class StorageErrors
{
    private const int Enospc = 28;   // Linux errno: no space left on device
    private const int Edquot = 122;  // Linux errno: disk quota exceeded (as good as full for this user)
    private const int WindowsDiskFull = unchecked((int)0x80070070); // ERROR_DISK_FULL
    private const int Erofs = 30;    // Linux and macOS errno: read-only file system
    private const int WindowsWriteProtect = unchecked((int)0x80070013); // ERROR_WRITE_PROTECT

    /// <summary>True for the exceptions <see cref="Wrap"/> translates (I/O and permission failures).</summary>
    public static bool IsIo(Exception e) => e is IOException or UnauthorizedAccessException;

    /// <summary>True when the exception means the disk (or the user's quota) is full.</summary>
    public static bool IsOutOfSpace(Exception e) =>
        e is IOException io && ((io.HResult & 0xFFFF) is Enospc or Edquot || io.HResult == WindowsDiskFull);

    /// <summary>The path a write was refused at because its file system is read-only (mounted so, or a write-protected
    /// medium), found in <paramref name="e"/> or an exception inside it; "" when the platform named no path; null for
    /// any other failure.</summary>
    public static string? ReadOnlyPath(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is not IOException io) continue;
            if (io.HResult != (OperatingSystem.IsWindows() ? WindowsWriteProtect : Erofs)) continue;
            // .NET on Unix words it "Read-only file system : '/the/path'": the path is what follows the first " : '".
            var at = io.Message.IndexOf(" : '", StringComparison.Ordinal);
            return at >= 0 && io.Message.EndsWith('\'') ? io.Message[(at + 4)..^1] : "";
        }
        return null;
    }

    /// <summary>The one line for a write refused by a read-only file system at <paramref name="path"/>: the folder that
    /// is read-only (the nearest one that exists) and what could not be written.</summary>
    public static string ReadOnlyLine(string path)
    {
        if (path.Length == 0) return "the folder is on a read-only file system: nothing can be written there";
        var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(path);
        while (folder is not null && !Directory.Exists(folder)) folder = Path.GetDirectoryName(folder);
        return folder is null || folder == path
            ? $"the folder '{path}' is read-only (a read-only file system): nothing can be written there"
            : $"the folder '{folder}' is read-only (a read-only file system): cannot write '{path}'";
    }

    /// <summary>A <see cref="StorageException"/> for <paramref name="e"/>, which happened while <paramref name="doing"/>
    /// (e.g. "writing piece 3 to 'a/b.bin' at offset 16384").</summary>
    public static StorageException Wrap(Exception e, string doing) => e switch
    {
        StorageException s => s,
        _ when IsOutOfSpace(e) => new StorageException($"no space left on device {doing}", isOutOfSpace: true, e),
        UnauthorizedAccessException => new StorageException($"permission denied {doing}: {e.Message}", inner: e),
        _ => new StorageException($"I/O error {doing}: {e.Message}", inner: e),
    };
}
