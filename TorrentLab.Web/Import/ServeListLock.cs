using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>Held by <c>torrentlab serve</c> while it runs, and by a command-line import while it writes: an exclusive
/// lock on <c>&lt;downloads&gt;/.torrentlab/web/serve.lock</c>, so the two never write one list at once. The lock is
/// the operating system's (flock on Linux): it ends with the process that held it, so a server that crashed leaves
/// nothing to clean up.</summary>
public sealed class ServeListLock : IDisposable
{
    private readonly FileStream _file;

    private ServeListLock(FileStream file) => _file = file;

    /// <summary>The lock file's path.</summary>
    public static string PathFor(string downloads) => Path.Combine(Path.GetFullPath(downloads), TorrentClient.StateFolder, "web", "serve.lock");

    /// <summary>Takes the lock, or returns null when another process (or another holder in this one) has it.</summary>
    public static ServeListLock? Take(string downloads)
    {
        var path = PathFor(downloads);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            return new(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    public void Dispose() => _file.Dispose();
}
