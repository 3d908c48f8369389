using TorrentLab.Storage;

namespace TorrentLab.Creation;

/// <summary>Turns an input file or folder into the list of files a torrent describes, in a stable order.</summary>
/// <remarks>
/// What goes in, decided to match mktorrent 1.1 and libtorrent 2.0 where they agree:
/// <list type="bullet">
/// <item>Hidden files and folders (names starting with '.') are included; both tools include them.</item>
/// <item>Empty files are included (length 0); empty folders leave no trace, as a torrent lists only files.</item>
/// <item>A folder always makes a multi-file torrent, even with one file inside; a file makes a single-file torrent.</item>
/// <item>A symbolic link to a file inside the input folder is followed: the file appears under the link's name
/// with the target's bytes (both tools do the same).</item>
/// <item>Departure: both tools also follow links that lead out of the input folder and links to folders. We refuse
/// both with a <see cref="CreationException"/> naming the link: a link out of the folder would publish files the
/// user did not point at, and a link to a folder lists files twice or loops.</item>
/// <item>FIFOs, sockets and devices are refused (they have no size and may block).</item>
/// </list>
/// The input path itself may be a link; the user named it.
/// </remarks>
internal static class PayloadScanner
{
    private static readonly EnumerationOptions Everything = new()
    {
        AttributesToSkip = 0, // include hidden files
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Scans <paramref name="inputPath"/>; the torrent's name is its base name.</summary>
    public static Payload Scan(string inputPath)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(inputPath);
        var name = Path.GetFileName(Path.GetFullPath(trimmed.Length == 0 ? inputPath : trimmed));
        if (name.Length == 0) throw new CreationException("cannot make a torrent of a file system root (it has no name)", inputPath);

        if (Directory.Exists(trimmed))
        {
            var root = RealPath.Resolve(trimmed, Loop(inputPath));
            var files = new List<PayloadFile>();
            Walk(new DirectoryInfo(trimmed), root, [], files, inputPath);
            if (files.Count == 0) throw new CreationException("the folder holds no files", inputPath);
            files.Sort((a, b) => Payload.CompareTorrentOrder(a.Path, b.Path));
            return Checked(new Payload(name, IsMultiFile: true, files), inputPath);
        }
        if (File.Exists(trimmed))
        {
            var real = RealPath.Resolve(trimmed, Loop(inputPath));
            RequireRegular(real, inputPath);
            return Checked(new Payload(name, IsMultiFile: false, [new PayloadFile([], real, new FileInfo(real).Length)]), inputPath);
        }
        throw new FileNotFoundException($"no such file or folder: {inputPath}", inputPath);
    }

    /// <summary>A link loop is the input's fault: reported as a creation error naming the path.</summary>
    private static Func<string, Exception> Loop(string shown) => message => new CreationException(message, shown);

    private static void Walk(DirectoryInfo folder, string root, IReadOnlyList<string> prefix, List<PayloadFile> files, string inputPath)
    {
        foreach (var entry in folder.EnumerateFileSystemInfos("*", Everything))
        {
            IReadOnlyList<string> path = [.. prefix, entry.Name];
            var shown = Path.Combine(inputPath, Path.Combine([.. path]));
            if (entry.LinkTarget is not null)
            {
                var target = RealPath.Resolve(entry.FullName, Loop(shown));
                if (target != root && !RealPath.IsBelow(target, root))
                    throw new CreationException($"is a symbolic link to {target}, outside the input folder; refusing to follow links out of it", shown);
                if (Directory.Exists(target))
                    throw new CreationException("is a symbolic link to a folder; links to folders are not followed (they list files twice or loop)", shown);
                if (!File.Exists(target)) throw new CreationException($"is a broken symbolic link (to {target})", shown);
                RequireRegular(target, shown);
                files.Add(new PayloadFile(path, target, new FileInfo(target).Length));
            }
            else if (entry is DirectoryInfo child)
            {
                Walk(child, root, path, files, inputPath);
            }
            else
            {
                RequireRegular(entry.FullName, shown);
                files.Add(new PayloadFile(path, entry.FullName, ((FileInfo)entry).Length));
            }
        }
    }

    private static void RequireRegular(string path, string shown)
    {
        if (!FileKind.IsRegularFile(path)) throw new CreationException("is not a regular file (a FIFO, socket or device)", shown);
    }

    private static Payload Checked(Payload payload, string inputPath) =>
        payload.TotalLength > 0 ? payload
            : throw new CreationException("holds no data (0 bytes); a torrent needs at least one byte to share", inputPath);
}
