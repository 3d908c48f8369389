using TorrentLab.Pieces;

namespace TorrentLab.Downloads;

/// <summary>The changes a running download takes without stopping: its file priorities and its piece order. The
/// swarm engine attaches itself while it downloads (<c>Swarm/SwarmDownload.cs</c>); the session's torrent handle asks
/// through it first, and stops and starts the run only when nothing downloading took the change (the torrent seeds,
/// completed, prepares, or runs the single-peer reference story).</summary>
internal sealed class LiveChanges
{
    private Target? _target;

    /// <summary>What a downloading swarm takes: each returns false when the swarm no longer downloads.</summary>
    internal sealed record Target(Func<PieceSelection, bool> Selection, Func<bool, bool> Sequential);

    /// <summary>The swarm downloads from now on: changes go to <paramref name="target"/>.</summary>
    internal void Attach(Target target) => Volatile.Write(ref _target, target);

    /// <summary>The swarm stopped downloading: changes no longer go to it (a later run's target is left alone).</summary>
    internal void Detach(Target target) => Interlocked.CompareExchange(ref _target, null, target);

    /// <summary>Gives the running download a new file selection; false when none took it.</summary>
    public bool TrySetSelection(PieceSelection selection) => Volatile.Read(ref _target)?.Selection(selection) ?? false;

    /// <summary>Gives the running download another piece order; false when none took it.</summary>
    public bool TrySetSequential(bool sequential) => Volatile.Read(ref _target)?.Sequential(sequential) ?? false;
}
