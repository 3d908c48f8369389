using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>Refuses, before any file is created, a download whose data still to write exceeds the space free on the
/// output folder's filesystem: a torrent claiming a petabyte (or just more than the disk holds now) would otherwise
/// get its sparse files created and fail much later, mid-download.</summary>
/// <remarks>Only what still has to be written counts: on a resume, pieces already verified on disk need no new space.
/// Space can still run out later (another program fills the disk meanwhile): the write then fails with the no-space
/// error and the download resumes once space is freed.</remarks>
internal static class DiskSpace
{
    /// <summary>Throws when the bytes still to write exceed the space free on the filesystem holding the output folder.</summary>
    /// <param name="layout">Where the files go.</param>
    /// <param name="have">Pieces already verified on disk; null when unknown (each file's current length counts as written).</param>
    /// <exception cref="StorageException">Out of space (flagged so), with both figures.</exception>
    public static void EnsureCanFit(StorageLayout layout, Bitfield? have)
    {
        var needed = have is null ? NeededByFileLength(layout) : NeededByPieces(layout, have);
        if (needed <= 0) return;
        var free = FreeSpace(layout.Root);
        if (free is { } available && needed > available)
            throw new StorageException(
                $"the torrent needs {needed} more bytes but only {available} are free on the filesystem holding '{layout.Root}'",
                isOutOfSpace: true);
    }

    /// <summary>Every byte of data (padding files are never written) minus the pieces already verified.</summary>
    private static long NeededByPieces(StorageLayout layout, Bitfield have)
    {
        var torrent = layout.Torrent;
        if (layout.Selection is { IsEverything: false } selection) // only the wanted pieces will be written
            return selection.WantedBytes - selection.WantedIn(have, torrent).Bytes;
        long needed = 0;
        foreach (var file in torrent.Files) if (!file.IsPadding) needed += file.Length;
        foreach (var index in have.SetIndexes()) needed -= torrent.GetPieceLength(index);
        return needed;
    }

    /// <summary>Without a verified set: what each file lacks to reach its full length.</summary>
    private static long NeededByFileLength(StorageLayout layout)
    {
        long needed = 0;
        var files = layout.Torrent.Files;
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].IsPadding) continue;
            var existing = new FileInfo(layout.FullPaths[i]);
            needed += Math.Max(0, files[i].Length - (existing.Exists ? existing.Length : 0));
        }
        return needed;
    }

    /// <summary>The space free to us on the filesystem holding <paramref name="path"/> (or its nearest existing parent); null if unknown.</summary>
    private static long? FreeSpace(string path)
    {
        var dir = path;
        while (dir is not null && !Directory.Exists(dir)) dir = Path.GetDirectoryName(dir);
        if (dir is null) return null;
        try { return new DriveInfo(dir).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }
}
