namespace TorrentLab.Client;

/// <summary>Writes a whole file so that a reader sees the old content or the new, never half of it.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> through a temporary file renamed over it.</summary>
    public static async Task WriteAsync(string path, byte[] bytes, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            await using (var stream = CreateTemporary(temp))
            {
                await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Opens <paramref name="path"/>, the temporary file of an atomic write, empty and locked for writing.</summary>
    /// <remarks>The file is made new (<c>O_EXCL</c>), not opened and truncated: ext4 takes a file truncated to nothing
    /// for one being replaced in place and writes its data out when it is closed (its <c>auto_da_alloc</c>), a disk
    /// write per save that a file renamed over the old one does not need. One left behind by a process killed before
    /// its rename is emptied and reused; one another writer holds open is refused, as the lock refused it before.</remarks>
    /// <exception cref="IOException">Another writer holds the file, or it cannot be made.</exception>
    public static FileStream CreateTemporary(string path)
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
