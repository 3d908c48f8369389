namespace TorrentLab.Web;

/// <summary>The disk guard (<see cref="DiskGuard"/>) over the list: every few seconds the volumes of the downloads that
/// run or wait are read; a running download on a volume come low waits in the queue, and the queue starts what waits
/// once a volume has room again.</summary>
internal sealed partial class TorrentManager
{
    private ITimer? _diskTimer;

    /// <summary>The disk guard: the volumes downloads write to, and which of them hold their downloads.</summary>
    public DiskGuard Disk { get; }

    private void StartDiskGuard()
    {
        CheckDisk();
        _diskTimer = _options.Clock.CreateTimer(static manager => ((TorrentManager)manager!).CheckDiskSafely(), this,
            _options.DiskCheckEvery, _options.DiskCheckEvery);
    }

    private void StopDiskGuard() => _diskTimer?.Dispose();

    private void CheckDiskSafely()
    {
        try
        {
            CheckDisk();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug in one reading must not end the guard: reported, and the next reading comes as planned.
            _options.Log?.Invoke($"error: disk guard: {e.Message}");
        }
    }

    /// <summary>Reads the volumes of the downloads folder and of every download that runs or waits; a running download
    /// on a volume that is low waits, and the queue is pumped when a volume has room again.</summary>
    internal void CheckDisk()
    {
        var downloads = Snapshot().Where(t => !t.Handle.IsComplete && t.State is TorrentState.Downloading or TorrentState.Queued).ToList();
        var changed = Disk.Check(downloads.Select(FolderOf).Prepend(Downloads), Settings.KeepFree ?? 0);
        foreach (var torrent in downloads)
            if (torrent.State == TorrentState.Downloading && Disk.WaitReason(FolderOf(torrent)) is { } reason)
                _ = HoldLoggedAsync(torrent, reason);
        if (changed.Any(v => !v.Low)) Queue.PumpSoon();
    }

    /// <summary>Holds a running download for disk space, on its own (a pause waits for the run to end, and the guard's
    /// reading does not wait for it); a hold that fails is one warning line, not an exception nobody sees.</summary>
    private async Task HoldLoggedAsync(ManagedTorrent torrent, string reason)
    {
        try
        {
            await Queue.HoldAsync(torrent, reason).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _options.Log?.Invoke($"warning: disk guard: '{torrent.Torrent.Name}' could not be held for disk space: {e.Message}");
        }
    }
}
