using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>Hears, once, how a torrent that seeded until stopped ended (<see cref="SeedingTorrent.SeedUntilStopped"/>).</summary>
internal interface ISeedingEnd
{
    /// <summary>Seeding has stopped: with its <paramref name="result"/> (the totals), or with the <paramref name="error"/>
    /// that ended it (the data could no longer be read).</summary>
    void SeedingEnded(DownloadResult? result, Exception? error);
}
