namespace TorrentLab.Storage;

/// <summary>Resolves a path to its canonical form with every symbolic link followed, like POSIX <c>realpath(3)</c>.</summary>
/// <remarks>Needed to decide whether a link leads out of a folder (the downloads folder, a torrent's input folder): a
/// link's target can be relative, can pass through other links, and can use "..", so comparing the text of the target
/// is not enough. The one implementation for storage and torrent creation.</remarks>
internal static class RealPath
{
    private const int MaxLinks = 40; // Linux gives up with ELOOP after 40 links in one lookup.

    /// <summary>The canonical absolute path; components that do not exist are kept as written.</summary>
    /// <param name="path">The path to resolve.</param>
    /// <param name="loop">Makes the caller's layer's exception for a link loop; null throws a <see cref="StorageException"/>.</param>
    /// <param name="known">A folder above <paramref name="path"/> (as written) and its canonical path, resolved already:
    /// the walk starts there instead of at the file system's root (the files of one torrent share their folder).</param>
    public static string Resolve(string path, Func<string, Exception>? loop = null, (string Written, string Real)? known = null)
    {
        var absolute = Path.IsPathRooted(path) ? path : Path.Combine(Directory.GetCurrentDirectory(), path);
        var root = Path.GetPathRoot(absolute)!;
        var pending = new Stack<string>();
        var current = root;
        if (known is { } folder && IsBelow(absolute, folder.Written))
        {
            PushComponents(pending, absolute[folder.Written.Length..]);
            current = folder.Real;
        }
        else PushComponents(pending, absolute[root.Length..]);

        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                // current is already resolved, so its parent is the real parent.
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks)
            {
                var message = $"more than {MaxLinks} symbolic links in a row (a loop?)";
                throw loop?.Invoke(message) ?? new StorageException($"{message} resolving '{path}'");
            }
            // Splice the target in place of the link and walk it again from its own start.
            PushComponents(pending, target);
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target)!;
        }
        return current;
    }

    /// <summary>True when <paramref name="path"/> is strictly below <paramref name="folder"/> (both canonical).</summary>
    public static bool IsBelow(string path, string folder)
    {
        var prefix = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length;
    }

    private static void PushComponents(Stack<string> pending, string relative)
    {
        var parts = relative.Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }
}
