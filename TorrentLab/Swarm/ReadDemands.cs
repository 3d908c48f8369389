using TorrentLab.Metainfo;
using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

/// <summary>The session's <see cref="ReadDemand"/> per torrent, made when the first user (a stream, a handle, a run's
/// swarm) asks and forgotten when the last lets go: a stream opened before a run, or between two runs, is found by
/// the next run's swarm.</summary>
internal sealed class ReadDemands
{
    private readonly Lock _lock = new();
    private readonly Dictionary<InfoHash, ReadDemand> _byHash = [];

    /// <summary>The demand of the torrent <paramref name="infoHash"/>, held until <see cref="Release"/>.</summary>
    public ReadDemand Take(InfoHash infoHash)
    {
        lock (_lock)
        {
            if (!_byHash.TryGetValue(infoHash, out var demand)) _byHash[infoHash] = demand = new ReadDemand();
            demand.Users++;
            return demand;
        }
    }

    /// <summary>Lets go of a demand taken with <see cref="Take"/>.</summary>
    public void Release(InfoHash infoHash, ReadDemand demand)
    {
        lock (_lock)
        {
            if (--demand.Users == 0 && _byHash.TryGetValue(infoHash, out var held) && held == demand) _byHash.Remove(infoHash);
        }
    }

    /// <summary>Torrents with a demand now (for tests: nothing is kept after its users let go).</summary>
    public int Count { get { lock (_lock) return _byHash.Count; } }
}
