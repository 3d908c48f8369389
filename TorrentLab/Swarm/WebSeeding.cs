using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>Web seeds (BEP 19), the swarm's part of them: one block source per http(s) URL of the torrent's
/// <c>url-list</c>, beside the peers, while downloading.</summary>
internal sealed class WebSeeding : IDisposable
{
    private readonly List<WebSeed> _seeds = [];

    /// <summary>The web seeds in use (empty for a seeder, or a torrent without usable <c>url-list</c> entries).</summary>
    public IReadOnlyList<WebSeed> Seeds => _seeds;

    /// <summary>Starts a block source per usable web seed URL; other schemes (ftp) are skipped with a log line. Returns
    /// the tasks that run them.</summary>
    public IEnumerable<Task> Start(TorrentSwarm swarm, Session session, DownloadOptions options, CancellationToken ct)
    {
        var torrent = swarm.Torrent;
        foreach (var url in torrent.WebSeeds.Distinct(StringComparer.Ordinal))
        {
            if (!WebSeedSource.IsUsable(url))
            {
                swarm.Log($"web seed '{UntrustedText.Clean(url, 200)}' skipped: only http and https URLs are used");
                continue;
            }
            var seed = new WebSeed(swarm, url, new WebSeedSource(url, torrent, session.Settings.PeerScope, options.RequestTimeout,
                session.TrackerOptions.Dialer, swarm.Time));
            _seeds.Add(seed);
            yield return seed.RunAsync(ct);
        }
    }

    /// <summary>Why each dropped web seed was dropped, for the stall error ("; {seed} dropped: {why}" each).</summary>
    public string DroppedNote() => string.Concat(_seeds.Where(w => w.Dropped is not null).Select(w => $"; {w} dropped: {w.Dropped}"));

    public void Dispose()
    {
        foreach (var seed in _seeds) seed.Dispose();
    }
}
