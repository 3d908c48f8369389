namespace TorrentLab.Storage;

/// <summary>Resolves torrent paths below an output folder and refuses any that would land outside it.</summary>
/// <remarks>The metainfo stage already drops <c>..</c> and separators from names; this is the second line of
/// defence, on the real file system: a path is refused when, after following symbolic links (of the output folder's
/// contents, e.g. <c>out/folder -> /etc</c>), it is not under the output folder's own real path. The check runs
/// when files are opened; a link swapped in afterwards by someone with write access to the folder is out of scope.</remarks>
internal static class OutputPaths
{
    /// <summary>The folder, below the output folder, that holds TorrentLab's own files (resume ledgers).</summary>
    public const string StateFolder = ".torrentlab";


    /// <summary>The full path of the output folder, without a trailing separator.</summary>
    public static string Root(string outputDir) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDir));

    /// <summary>The full path of <paramref name="segments"/> below <paramref name="root"/>, checked to stay inside it.</summary>
    /// <exception cref="StorageException">The path leaves the output folder, directly or through a symbolic link.</exception>
    /// <remarks>With <paramref name="realRoot"/> (the root with its links followed, resolved once by the caller for
    /// every file of a torrent), the links below the root are followed from there; null resolves the root here.</remarks>
    public static string Resolve(string root, IReadOnlyList<string> segments, string? realRoot = null)
    {
        if (segments.Count == 0) throw new StorageException($"empty path below '{root}'");
        if (segments[0] == StateFolder)
            throw new StorageException($"path '{string.Join('/', segments)}' uses the reserved folder '{StateFolder}'");
        var full = Path.GetFullPath(Path.Combine([root, .. segments]));
        CheckInside(root, full, string.Join('/', segments), realRoot);
        return full;
    }

    /// <summary>Throws unless <paramref name="full"/> is below <paramref name="root"/>, both as written and after
    /// following symbolic links (from <paramref name="realRoot"/>, the root's resolved path, when given).</summary>
    public static void CheckInside(string root, string full, string shown, string? realRoot = null)
    {
        if (!IsUnder(full, root))
            throw new StorageException($"path '{shown}' resolves to '{full}', outside the output folder '{root}'");
        realRoot ??= RealPath(root);
        var real = Storage.RealPath.Resolve(full, known: (root, realRoot));
        if (!IsUnder(real, realRoot))
            throw new StorageException($"path '{shown}' leads to '{real}' through a symbolic link, outside the output folder '{root}'");
    }

    /// <summary>True when <paramref name="path"/> is strictly below <paramref name="folder"/> (ordinal: Linux names are case-sensitive).</summary>
    public static bool IsUnder(string path, string folder) => Storage.RealPath.IsBelow(path, folder);

    /// <summary>The path with every existing symbolic link followed (like realpath(3), but missing parts are kept as written).</summary>
    public static string RealPath(string path) => Storage.RealPath.Resolve(path);
}
