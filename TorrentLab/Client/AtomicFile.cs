using TorrentLab.Storage;

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

    /// <summary>Opens <paramref name="path"/>, the temporary file of an atomic write, empty and locked for writing:
    /// made new, not truncated (see <see cref="TemporaryFile.Create"/>).</summary>
    /// <exception cref="IOException">Another writer holds the file, or it cannot be made.</exception>
    public static FileStream CreateTemporary(string path) => TemporaryFile.Create(path);
}
