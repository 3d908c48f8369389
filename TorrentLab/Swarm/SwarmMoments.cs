using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>The swarm's timeline of moments the engine changed its mode (choke decisions, super-seed reveals; end game
/// is the piece manager's and joins it in <see cref="TorrentSwarm.MomentsSnapshot"/>), for the piece map. Only
/// observes: nothing the engine decides reads it.</summary>
/// <remarks>Thread-safe; keeps the newest <see cref="Capacity"/>. A snapshot is made again only after a moment was
/// added since the last one.</remarks>
internal sealed class SwarmMoments
{
    /// <summary>Moments kept: a short timeline (a choke round every 10 s changes a few peers; a page shows the last ones).</summary>
    public const int Capacity = 200;

    private readonly Lock _lock = new();
    private readonly Queue<PieceMapMoment> _moments = new(); // guarded by _lock
    private PieceMapMoment[]? _snapshot = [];                // null: a moment was added since the last one

    public void Add(PieceMapMoment moment)
    {
        lock (_lock)
        {
            if (_moments.Count == Capacity) _moments.Dequeue();
            _moments.Enqueue(moment);
            _snapshot = null;
        }
    }

    /// <summary>The moments kept, oldest first.</summary>
    public PieceMapMoment[] Snapshot()
    {
        lock (_lock) return _snapshot ??= [.. _moments];
    }
}
