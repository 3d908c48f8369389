namespace TorrentLab.Metainfo;

/// <summary>Renames files whose sanitized paths collide, as libtorrent does: the second <c>foo/bar.txt</c> becomes
/// <c>foo/bar.1.txt</c>, the third <c>foo/bar.2.txt</c>; a file named like another file's folder is renamed too.</summary>
/// <remarks>Without this, two entries of a hostile torrent could write the same file on disk, each overwriting the
/// other's verified data. Pad files (BEP 47) are never written, so they take no part.</remarks>
internal static class DuplicatePaths
{
    /// <summary>Most files that may share one sanitized path. More is no real torrent but an attempt to make the
    /// client rename endlessly; libtorrent rejects such a torrent too ("too many duplicate filenames").</summary>
    internal const int MaxDuplicates = 100;

    /// <summary>Renames colliding entries of <paramref name="paths"/> in place (entries where <paramref name="skip"/> is true stay as they are).</summary>
    /// <exception cref="MetainfoException">More than <see cref="MaxDuplicates"/> files share one path.</exception>
    public static void Resolve(IReadOnlyList<List<string>> paths, IReadOnlyList<bool> skip)
    {
        // Windows file systems ignore case, so "A.txt" and "a.txt" are the same file there.
        var comparer = OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var folders = new HashSet<string>(comparer);
        for (var i = 0; i < paths.Count; i++)
            if (!skip[i])
                for (var depth = 1; depth < paths[i].Count; depth++)
                    folders.Add(string.Join('/', paths[i].Take(depth)));

        var taken = new HashSet<string>(comparer);
        var renames = new Dictionary<string, int>(comparer);
        for (var i = 0; i < paths.Count; i++)
        {
            if (skip[i]) continue;
            var path = paths[i];
            var key = string.Join('/', path);
            if (!taken.Contains(key) && !folders.Contains(key))
            {
                taken.Add(key);
                continue;
            }
            var original = path[^1];
            var (stem, extension) = SplitExtension(original);
            var counter = renames.GetValueOrDefault(key);
            string candidate;
            do
            {
                if (++counter > MaxDuplicates)
                    throw new MetainfoException($"more than {MaxDuplicates} files share the path '{key}'", $"info.files[{i}].path");
                path[^1] = $"{stem}.{counter}{extension}";
                candidate = string.Join('/', path);
            } while (taken.Contains(candidate) || folders.Contains(candidate));
            renames[key] = counter;
            taken.Add(candidate);
        }
    }

    /// <summary>"bar.txt" gives ("bar", ".txt"); "_" and ".hidden" have no extension.</summary>
    private static (string Stem, string Extension) SplitExtension(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot <= 0 ? (name, "") : (name[..dot], name[dot..]);
    }
}
