namespace TorrentLab.Web;

/// <summary>One volume as the disk guard last read it.</summary>
/// <param name="Volume">Where it is mounted (its root).</param>
/// <param name="Free">Bytes free for this process (<see cref="DriveInfo.AvailableFreeSpace"/>).</param>
/// <param name="Total">Its size in bytes.</param>
/// <param name="KeepFree">The bytes the guard keeps free on it (0: the guard is off).</param>
/// <param name="Low">Downloads on it wait: fewer than <paramref name="KeepFree"/> bytes were free.</param>
public sealed record VolumeSpace(string Volume, long Free, long Total, long KeepFree, bool Low);

/// <summary>The disk guard: downloads wait while their volume has fewer free bytes than the server keeps free, and go
/// on once it has that again and a tenth more (so a download that resumes does not stop again at its next write).
/// Each volume's change, either way, is one log line and one alert to the page. A volume whose space cannot be read
/// never holds a download.</summary>
/// <remarks>It reads, and decides per volume; the list pauses and resumes the torrents (<see cref="TorrentManager"/>).
/// Thread-safe.</remarks>
internal sealed class DiskGuard
{
    /// <summary>The default of <c>--keep-free</c>: 1 GiB, room for the files a system needs to go on working.</summary>
    public const long DefaultKeepFree = 1L << 30;

    private readonly Func<string, (string Volume, long Free, long Total)?> _probe;
    private readonly Action<string>? _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, VolumeSpace> _volumes = new(StringComparer.Ordinal); // by volume, guarded by _lock
    private Dictionary<string, string> _folders = new(StringComparer.Ordinal); // each folder's volume at the last check, guarded by _lock
    private int _version;

    /// <param name="probe">The volume holding a folder and its free and total bytes, or null when unknown
    /// (<see cref="Probe"/> outside tests).</param>
    /// <param name="log">The server's log.</param>
    public DiskGuard(Func<string, (string Volume, long Free, long Total)?> probe, Action<string>? log)
    {
        (_probe, _log) = (probe, log);
    }

    /// <summary>Grows at each change of a volume's state (the page's alert).</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>The volumes as last read, by name.</summary>
    public IReadOnlyList<VolumeSpace> Volumes
    {
        get { lock (_lock) return [.. _volumes.Values.OrderBy(v => v.Volume, StringComparer.Ordinal)]; }
    }

    /// <summary>Whether downloads into <paramref name="folder"/> wait for space (as at the last reading of its volume).</summary>
    public bool IsLow(string folder)
    {
        var volume = VolumeOf(folder);
        lock (_lock) return volume is not null && _volumes.TryGetValue(volume, out var space) && space.Low;
    }

    /// <summary>The reading of the volume holding <paramref name="folder"/>, or null before its first.</summary>
    public VolumeSpace? SpaceOf(string folder)
    {
        var volume = VolumeOf(folder);
        lock (_lock) return volume is not null && _volumes.TryGetValue(volume, out var space) ? space : null;
    }

    /// <summary>Reads the volumes holding <paramref name="folders"/> with <paramref name="keepFree"/> bytes to keep
    /// free on each (0: off), and returns those whose state changed: a volume come low, or one with room again.</summary>
    public IReadOnlyList<VolumeSpace> Check(IEnumerable<string> folders, long keepFree)
    {
        var changed = new List<VolumeSpace>();
        var read = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (seen.ContainsKey(folder) || _probe(folder) is not { } probe) continue;
            seen[folder] = probe.Volume;
            if (!read.Add(probe.Volume)) continue;
            lock (_lock)
            {
                var wasLow = _volumes.TryGetValue(probe.Volume, out var before) && before.Low;
                // Low below the bytes to keep; back only above them and a tenth more.
                var low = keepFree > 0 && (wasLow ? probe.Free < keepFree + keepFree / 10 : probe.Free < keepFree);
                var now = new VolumeSpace(probe.Volume, probe.Free, probe.Total, keepFree, low);
                _volumes[probe.Volume] = now;
                if (low != wasLow) changed.Add(now);
            }
        }
        lock (_lock) _folders = seen;
        foreach (var volume in changed)
        {
            Interlocked.Increment(ref _version);
            _log?.Invoke(volume.Low
                ? $"disk guard: {Size(volume.Free)} free on {volume.Volume}, under the {Size(volume.KeepFree)} kept free: downloads there wait"
                : $"disk guard: {Size(volume.Free)} free on {volume.Volume} again: downloads there go on");
        }
        return changed;
    }

    /// <summary>Why a download into <paramref name="folder"/> waits, for its row; null when it does not.</summary>
    public string? WaitReason(string folder) => SpaceOf(folder) is { Low: true } space
        ? $"waiting for disk space: {Size(space.Free)} free on {space.Volume}, {Size(space.KeepFree)} kept free"
        : null;

    // Each folder's volume as the last check found it: a queue pump over 10,000 torrents reads no mount table.
    private string? VolumeOf(string folder)
    {
        lock (_lock) return _folders.GetValueOrDefault(folder);
    }

    private static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB");

    /// <summary>The volume holding <paramref name="folder"/> (the deepest mount point above it) and its space; null
    /// when it cannot be read. The folder itself need not exist yet: its nearest existing parent is read.</summary>
    public static (string Volume, long Free, long Total)? Probe(string folder)
    {
        try
        {
            var path = Path.GetFullPath(folder);
            while (!Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent) path = parent;
            var mount = DriveInfo.GetDrives()
                .Select(d => d.RootDirectory.FullName)
                .Where(root => Below(path, root))
                .MaxBy(root => root.Length) ?? Path.GetPathRoot(path) ?? path;
            var drive = new DriveInfo(path);
            return (mount, drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static bool Below(string path, string root) =>
        path.StartsWith(root, StringComparison.Ordinal)
        && (path.Length == root.Length || root.EndsWith(Path.DirectorySeparatorChar) || path[root.Length] == Path.DirectorySeparatorChar);
}
