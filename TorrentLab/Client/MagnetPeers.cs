using System.Net;
using TorrentLab.Magnet;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>The peers a magnet command asks: the link's <c>x.pe</c> addresses first, then what its trackers return.</summary>
internal static class MagnetPeers
{
    /// <summary>BEP 3 requires <c>left</c>, but a magnet link does not give the size; any positive placeholder says
    /// "not a seeder" (classroom trackers accept 999).</summary>
    private const long UnknownLeft = 999;

    /// <summary>x.pe peers, then one announce to the link's trackers (each its own BEP 12 tier). A tracker failure is
    /// an error only when there is no x.pe peer to fall back on.</summary>
    /// <exception cref="TrackerException">Every tracker failed and the link names no peer.</exception>
    /// <exception cref="MetadataException">Neither trackers nor peers in the link.</exception>
    public static async Task<List<IPEndPoint>> FindAsync(MagnetLink link, PeerId ourId, int port, Action<string>? log, CancellationToken ct)
    {
        var peers = new List<IPEndPoint>(link.Peers);
        if (link.Trackers.Count == 0)
        {
            if (peers.Count == 0) throw new MetadataException("the magnet link names no tracker (tr) and no peer (x.pe); TorrentLab uses no DHT");
            return peers;
        }
        using var tracker = new TrackerClient(link.Trackers.Select(t => (IReadOnlyList<string>)[t]).ToList());
        try
        {
            var answer = await tracker.AnnounceAsync(
                new AnnounceRequest(link.InfoHash, ourId, port, 0, 0, UnknownLeft, AnnounceEvent.Started), ct).ConfigureAwait(false);
            peers.AddRange(answer.Peers.Where(p => !peers.Contains(p)));
            log?.Invoke($"tracker: {answer.Peers.Count} peer(s)");
        }
        catch (TrackerException e) when (peers.Count > 0)
        {
            log?.Invoke($"tracker failed ({e.Message}); using the {peers.Count} peer(s) from x.pe");
        }
        return peers;
    }
}
