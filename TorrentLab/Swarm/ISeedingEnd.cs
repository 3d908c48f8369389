using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>Hears, once, how a torrent that seeded until stopped ended (<see cref="SeedingTorrent.SeedUntilStopped"/>).</summary>
internal interface ISeedingEnd
{
    /// <summary>Seeding has stopped: with its <paramref name="result"/> (the totals), or with the <paramref name="error"/>
    /// that ended it (the data could no longer be read).</summary>
    void SeedingEnded(DownloadResult? result, Exception? error);

    /// <summary>The torrent's file priorities came to want pieces it does not have: true when it downloads them in its
    /// running swarm (<see cref="SeedingTorrent.TryHandBack"/>), with its peers; false when it cannot, and the caller
    /// starts it again.</summary>
    bool DownloadMore(SeedingTorrent seeding, Pieces.PieceSelection selection);
}
