using TorrentLab.Downloads;
using TorrentLab.Pieces;

namespace TorrentLab.Client;

/// <summary>The changes a running torrent takes: file priorities and order go to a downloading run at once; the others
/// stop the run, change, and start it again (see the remarks on <see cref="TorrentHandle"/>).</summary>
public sealed partial class TorrentHandle
{
    /// <summary>Sets one priority per file (<see cref="Metainfo.Torrent.Files"/> order): skipped files are not fetched
    /// beyond the pieces they share with wanted ones, higher ones are fetched first. A downloading torrent takes the
    /// change without stopping (its peers stay connected); a completed or seeding torrent that now wants more starts
    /// again (its run ended, or seeds with no piece picker to give the change to).</summary>
    /// <exception cref="ArgumentException">Not one priority per file, or an unknown priority; nothing changed.</exception>
    public Task SetFilePrioritiesAsync(IReadOnlyList<FilePriority> priorities)
    {
        ArgumentNullException.ThrowIfNull(priorities);
        var selection = PieceSelection.For(Torrent, priorities); // checks the count and each value before anything stops
        lock (_lock)
        {
            // More is wanted than is verified: a completed torrent runs again (a paused one stays paused).
            if (State == TorrentState.Completed && !selection.IsDoneIn(_verified)) _wantsRunning = true;
        }
        return ChangeLiveAsync(live => live.TrySetSelection(selection), o => o with { FilePriorities = selection.Files });
    }

    /// <summary>Fetches pieces in order, lowest index first (for playing a file while it downloads), or rarest first.
    /// A downloading torrent takes it without stopping.</summary>
    public Task SetSequentialAsync(bool sequential) =>
        ChangeLiveAsync(live => live.TrySetSequential(sequential), o => o with { Sequential = sequential });

    /// <summary>Moves the torrent's files and resume ledger to <paramref name="folder"/> (renamed on one file system,
    /// copied then deleted across two; undone on a failure) and goes on from there without hashing them again.</summary>
    /// <exception cref="Storage.StorageException">A file of the torrent is in the way in the new folder, or a file could not be
    /// moved (the data stays whole in the old folder).</exception>
    public Task MoveDataAsync(string folder, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var to = Path.GetFullPath(folder);
        return ChangeAsync(async o =>
        {
            await TorrentDataMove.MoveAsync(Torrent, o.OutputDirectory, to, ct).ConfigureAwait(false);
            return o with { OutputDirectory = to };
        }, TorrentState.Moving);
    }

    /// <summary>Hashes the torrent's data on disk again and records what verifies in its resume ledger: a piece that no
    /// longer matches is fetched again, one that appeared is kept.</summary>
    /// <exception cref="Storage.StorageException">A file cannot be read.</exception>
    public Task RecheckAsync(CancellationToken ct = default) => ChangeAsync(async o =>
    {
        if (Directory.Exists(o.OutputDirectory))
        {
            var report = await TorrentClient.VerifyAsync(Torrent, o.OutputDirectory, writeLedger: true, ct).ConfigureAwait(false);
            lock (_lock)
            {
                _verified = new Wire.Bitfield(Torrent.PieceCount);
                Array.Clear(_fileDone);
                Verified(report.Have);
            }
        }
        return o;
    }, TorrentState.Checking);

    /// <summary>Adds a tracker as a tier of its own (BEP 12) and announces to it.</summary>
    /// <exception cref="ArgumentException">The URL is not one we announce to (not http, https or udp, or a host that may
    /// not be used); nothing changed.</exception>
    public Task AddTrackerAsync(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (TorrentClient.RefusedTrackerUrl(url) is { } why) throw new ArgumentException($"tracker '{url}': {why}", nameof(url));
        return ChangeAsync(o => Task.FromResult(TrackersOf(o).Any(t => t.Contains(url)) ? o
            : o with { Trackers = [.. TrackersOf(o), [url]] }));
    }

    /// <summary>Removes a tracker from every tier (an empty tier goes too); nothing happens when it is not there.</summary>
    public Task RemoveTrackerAsync(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return ChangeAsync(o => Task.FromResult(o with
        {
            Trackers = [.. TrackersOf(o).Select(t => (IReadOnlyList<string>)[.. t.Where(u => u != url)]).Where(t => t.Count > 0)],
        }));
    }

    /// <summary>Announces to the trackers now: the run starts again, and a start announces <c>started</c> at once.</summary>
    public Task ReannounceAsync() => ChangeAsync(Task.FromResult);
}
