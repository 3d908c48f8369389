using System.Runtime.InteropServices;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

namespace TorrentLab.Web;

/// <summary>The files of one folder for the static file middleware, and none whose real path leaves it: a symbolic
/// link inside the folder to a file or folder outside it answers as missing (404).</summary>
/// <remarks>ASP.NET Core's <see cref="PhysicalFileProvider"/> refuses a path that climbs out (<c>..</c>) but follows
/// links, so a link inside the folder serves whatever it names. So each file (and folder) is served only when its real
/// path, every link on the way resolved, lies inside the folder's own real path: on Linux <c>realpath(3)</c> resolves
/// it; elsewhere a link anywhere below the folder is refused, whether it leads out or not.</remarks>
internal sealed class ContainedFileProvider : IFileProvider
{
    private readonly PhysicalFileProvider _files;
    private readonly string _root;

    /// <param name="folder">The folder served; it may itself be a link (the user named it).</param>
    public ContainedFileProvider(string folder)
    {
        _files = new PhysicalFileProvider(Path.GetFullPath(folder));
        _root = OperatingSystem.IsLinux() ? RealPath(_files.Root.TrimEnd('/')) ?? _files.Root : _files.Root;
        _root = _root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
    }

    public IFileInfo GetFileInfo(string subpath)
    {
        var file = _files.GetFileInfo(subpath);
        if (!file.Exists) return file;
        if (!OperatingSystem.IsLinux()) return IsInside(file.PhysicalPath) ? file : new NotFoundFileInfo(subpath);
        // A link that stays inside is served as the file it names: .NET gives a link's own size, not its file's.
        return RealPath(file.PhysicalPath!) is { } real && IsBelowRoot(real)
            ? real == file.PhysicalPath ? file : new PhysicalFileInfo(new FileInfo(real))
            : new NotFoundFileInfo(subpath);
    }

    public IDirectoryContents GetDirectoryContents(string subpath)
    {
        var contents = _files.GetDirectoryContents(subpath);
        // The directory's own physical path is not given: it is the root's joined with the subpath (which the inner
        // provider has checked does not climb out).
        var folder = Path.Combine(_files.Root, subpath.TrimStart('/'));
        return !contents.Exists || IsInside(folder) ? contents : NotFoundDirectoryContents.Singleton;
    }

    public IChangeToken Watch(string filter) => _files.Watch(filter);

    private bool IsInside(string? path)
    {
        if (path is null) return false;
        if (OperatingSystem.IsLinux()) return RealPath(path) is { } real && IsBelowRoot(real);
        // Without realpath: no link on the way from the folder down.
        var relative = Path.GetRelativePath(_root, path);
        var current = _root;
        foreach (var part in relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            if (new FileInfo(current).LinkTarget is not null) return false;
        }
        return true;
    }

    private bool IsBelowRoot(string real) => (real + Path.DirectorySeparatorChar).StartsWith(_root, StringComparison.Ordinal);

    /// <summary>The path with every link resolved, or null when it cannot be (missing, a loop, denied).</summary>
    private static string? RealPath(string path)
    {
        var resolved = Resolve(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(resolved); }
        finally { Free(resolved); }
    }

    // realpath(3) with a null buffer allocates the answer with malloc; free(3) releases it.
    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr Resolve([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);
}
