namespace TorrentLab.Storage;

/// <summary>The temporary file of an atomic write (written whole, then renamed over the real one).</summary>
internal static class TemporaryFile
{
    /// <summary>Opens <paramref name="path"/> empty and locked for writing.</summary>
    /// <remarks>The file is made new (<c>O_EXCL</c>), not opened and truncated: ext4 takes a file truncated to nothing
    /// for one being replaced in place and writes its data out when it is closed (its <c>auto_da_alloc</c>), a disk
    /// write per save that a file renamed over the old one does not need. One left behind by a process killed before
    /// its rename is emptied and reused; one another writer holds open is refused, as the lock refused it before.</remarks>
    /// <exception cref="IOException">Another writer holds the file, or it cannot be made.</exception>
    public static FileStream Create(string path)
    {
        try
        {
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
            stream.SetLength(0);
            return stream;
        }
    }
}
