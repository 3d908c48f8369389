namespace TorrentLab.Storage;

/// <summary>Turns the platform's I/O exceptions into <see cref="StorageException"/>s that say what was being done
/// where, and flag a full disk so the user knows that freeing space and resuming will work.</summary>
internal static class StorageErrors
{
    private const int Enospc = 28;   // Linux errno: no space left on device
    private const int Edquot = 122;  // Linux errno: disk quota exceeded (as good as full for this user)
    private const int WindowsDiskFull = unchecked((int)0x80070070); // ERROR_DISK_FULL

    /// <summary>True for the exceptions <see cref="Wrap"/> translates (I/O and permission failures).</summary>
    public static bool IsIo(Exception e) => e is IOException or UnauthorizedAccessException;

    /// <summary>True when the exception means the disk (or the user's quota) is full.</summary>
    public static bool IsOutOfSpace(Exception e) =>
        e is IOException io && ((io.HResult & 0xFFFF) is Enospc or Edquot || io.HResult == WindowsDiskFull);

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
