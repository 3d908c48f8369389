namespace TorrentLab.Tests.Infrastructure;

/// <summary>A small tmpfs mounted on a folder for the test's lifetime: a filesystem whose size and free space the test
/// controls. Needs Linux, root and mount(2) (CAP_SYS_ADMIN); the test is skipped visibly with the reason elsewhere.</summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    /// <summary>The mounted folder.</summary>
    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's syntax: "1m", "512k") on <paramref name="dir"/>, creating it.</summary>
    /// <param name="readOnly">Mounted read-only: every write there fails with EROFS, whoever asks (root included).</param>
    public static Tmpfs Mount(string dir, string size, bool readOnly = false)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("tmpfs mounts need Linux");
        Directory.CreateDirectory(dir);
        var result = ProcessRunner.Run("mount", ["-t", "tmpfs", "-o", $"size={size}{(readOnly ? ",ro" : "")}", "tmpfs", dir], TimeSpan.FromSeconds(10));
        if (result.ExitCode != 0) Assert.Skip($"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {result.Stderr.Trim()}");
        return new Tmpfs(dir);
    }

    /// <summary>Writes a dense file of <paramref name="bytes"/> bytes, taking that much of the free space.</summary>
    public void Fill(string name, int bytes) => File.WriteAllBytes(System.IO.Path.Combine(Path, name), new byte[bytes]);

    /// <summary>Grows (or shrinks) the filesystem to <paramref name="size"/>.</summary>
    public void Resize(string size)
    {
        var grow = ProcessRunner.Run("mount", ["-o", $"remount,size={size}", Path], TimeSpan.FromSeconds(10));
        Assert.True(grow.ExitCode == 0, grow.Stderr);
    }

    public void Dispose() => ProcessRunner.Run("umount", ["-l", Path], TimeSpan.FromSeconds(10));
}
