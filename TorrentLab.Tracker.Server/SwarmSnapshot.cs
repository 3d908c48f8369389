using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>One peer the tracker knows: who, where, and how much it still misses.</summary>
public sealed record SwarmPeer(PeerId PeerId, IPEndPoint EndPoint, long Left)
{
    /// <summary>A seeder has nothing left to download.</summary>
    public bool IsSeeder => Left == 0;
}

/// <summary>What the tracker knows about one torrent at one moment.</summary>
/// <param name="InfoHash">The torrent.</param>
/// <param name="Seeders">Peers with nothing left to download.</param>
/// <param name="Leechers">Peers still downloading.</param>
/// <param name="Completed">How many downloads finished (announced <c>completed</c>) since the tracker started.</param>
/// <param name="Peers">Every live peer (silent ones expire after the peer timeout).</param>
public sealed record SwarmSnapshot(InfoHash InfoHash, int Seeders, int Leechers, int Completed, IReadOnlyList<SwarmPeer> Peers);
