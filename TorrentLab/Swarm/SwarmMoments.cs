using TorrentLab.Downloads;
using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

/// <summary>The swarm's timeline of moments the engine changed its mode (choke decisions, super-seed reveals; end game
/// is the piece manager's and joins it in <see cref="Snapshot(PieceManager)"/>), for the piece map. Only
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

    /// <summary>The moments kept with rarest first's and end game's start (<paramref name="pieces"/>'), oldest first.</summary>
    public IReadOnlyList<PieceMapMoment> Snapshot(PieceManager pieces)
    {
        IReadOnlyList<PieceMapMoment> moments = Snapshot();
        if (pieces.RarestFirstBegan is { } rarest) moments = Within(moments, PieceMapMomentKind.RarestFirstBegan, rarest);
        if (pieces.EndgameBegan is { } endgame) moments = Within(moments, PieceMapMomentKind.EndgameBegan, endgame);
        return moments;
    }

    /// <summary>The timeline with the piece manager's moment put in its place by time.</summary>
    private static PieceMapMoment[] Within(IReadOnlyList<PieceMapMoment> moments, PieceMapMomentKind kind, (long At, IBlockSource Peer, int PiecesLeft) began)
    {
        var moment = new PieceMapMoment(new DateTimeOffset(began.At, TimeSpan.Zero), kind, began.Peer.Name, -1, began.PiecesLeft);
        var list = moments as PieceMapMoment[] ?? [.. moments];
        var at = Array.FindIndex(list, m => m.At > moment.At);
        return at < 0 ? [.. list, moment] : [.. list[..at], moment, .. list[at..]];
    }
}
