using TorrentLab.Downloads;

namespace TorrentLab.Client;

/// <summary>What a torrent's piece map keeps beyond the states, across its runs: who sent each piece (since the torrent
/// was added; a new run's senders over the earlier runs') and the last run's moments. Touched under the handle's lock.</summary>
internal sealed class PieceMapMemory
{
    private PieceSenders? _senders, _sendersBefore; // so far, and as earlier runs left them
    private IReadOnlyList<PieceMapMoment>? _moments; // the last run's

    /// <summary>A run reported its map.</summary>
    public void Reported(PieceStates map)
    {
        if (map.Senders is { } senders) _senders = senders.Over(_sendersBefore);
        if (map.Moments.Count > 0) _moments = map.Moments;
    }

    /// <summary>The run ended: the next records anew, what this one saw stays under it.</summary>
    public void RunEnded() => _sendersBefore = _senders;

    /// <summary>The pieces are forgotten (a recheck): so are their senders.</summary>
    public void Forget() => _senders = _sendersBefore = null;

    /// <summary><paramref name="map"/> with the senders and moments kept (itself when none are).</summary>
    public PieceStates On(PieceStates map) => _senders is null && _moments is null ? map : map.WithSenders(_senders).WithMoments(_moments);
}
