using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>How a torrent's connections handshake, shared by its swarm and by a seeding torrent that holds no swarm
/// while nobody is connected: the info hashes an incoming handshake may name, and the options a connection runs with.</summary>
internal static class SwarmConnections
{
    /// <summary>The info hashes an incoming handshake may name: a hybrid's peers use its v1 hash or the truncated v2
    /// one (BEP 52), every other torrent has one.</summary>
    public static IReadOnlyCollection<InfoHash> IncomingHashes(Torrent torrent) => torrent.IsHybrid && torrent.InfoHashV2 is { } v2
        ? [torrent.InfoHash, v2.Truncated] : [torrent.InfoHash];

    /// <summary>How a connection of this torrent handshakes and runs: the extensions we offer and the session's
    /// encryption and time limits.</summary>
    public static PeerConnectionOptions Options(Session session, Torrent torrent, DownloadOptions options) => new()
    {
        PieceCount = torrent.PieceCount,
        AdvertiseExtensions = true, // BEP 10: ut_metadata for magnet clients, ut_pex unless private (SwarmPeer.Extensions.cs)
        Encryption = session.Settings.Encryption,
        AdvertiseFast = true, // BEP 6: have all/none, reject, allowed fast (SwarmPeer.Fast.cs)
        AdvertiseV2 = torrent.InfoHashV2 is not null, // BEP 52: we answer hash requests (SwarmPeer.Hashes.cs)
        AlternateInfoHash = torrent.IsHybrid ? torrent.InfoHashV2?.Truncated : null,
        ConnectTimeout = session.Settings.ConnectTimeout,
        HandshakeTimeout = session.Settings.HandshakeTimeout,
        IdleTimeout = session.Settings.IdleTimeout,
        KeepAliveInterval = Min(session.Settings.IdleTimeout / 3, TimeSpan.FromMinutes(2)),
        Time = session.Settings.Time,
        Network = session.Settings.Network,
        Trace = options.Trace,
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
