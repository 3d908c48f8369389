namespace TorrentLab.Storage;

/// <summary>Refuses, before any file is created, a torrent that cannot fit on the output folder's filesystem even when
/// it is empty: a hostile torrent claiming a petabyte would otherwise get its sparse files created and fail much later
/// with a confusing error.</summary>
/// <remarks>Only the filesystem's total size is a hard limit. A torrent larger than the space free right now still
/// starts (space may be freed meanwhile; files are sparse); if the disk fills, the write fails with the no-space
/// error and the download resumes after space is freed.</remarks>
internal static class DiskSpace
{
    /// <summary>Throws when the bytes still to allocate exceed the size of the filesystem holding the output folder.</summary>
    /// <exception cref="StorageException">Out of space (flagged so), with both figures.</exception>
    public static void EnsureCanFit(StorageLayout layout)
    {
        long needed = 0;
        var files = layout.Torrent.Files;
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].IsPadding) continue;
            var existing = new FileInfo(layout.FullPaths[i]);
            needed += Math.Max(0, files[i].Length - (existing.Exists ? existing.Length : 0));
        }
        if (needed == 0) return;
        var total = FilesystemSize(layout.Root);
        if (total is { } size && needed > size)
            throw new StorageException(
                $"the torrent needs {needed} more bytes but the filesystem holding '{layout.Root}' is {size} bytes in all", isOutOfSpace: true);
    }

    /// <summary>The total size of the filesystem holding <paramref name="path"/> (or its nearest existing parent); null if unknown.</summary>
    private static long? FilesystemSize(string path)
    {
        var dir = path;
        while (!Directory.Exists(dir)) dir = Path.GetDirectoryName(dir);
        if (dir is null) return null;
        try { return new DriveInfo(dir).TotalSize; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }
}
