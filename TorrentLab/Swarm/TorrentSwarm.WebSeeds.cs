using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

// Web seeds (BEP 19): one block source per http(s) URL of the torrent's url-list, beside the peers.
internal sealed partial class TorrentSwarm
{
    private readonly List<WebSeed> _webSeeds = [];

    /// <summary>The web seeds in use (empty for a seeder, or a torrent without usable <c>url-list</c> entries).</summary>
    public IReadOnlyList<WebSeed> WebSeeds => _webSeeds;

    /// <summary>Starts a block source per usable web seed URL while downloading; other schemes (ftp) are skipped with a log line.</summary>
    private void StartWebSeeds(CancellationToken ct)
    {
        if (!Downloading) return;
        foreach (var url in Torrent.WebSeeds.Distinct(StringComparer.Ordinal))
        {
            if (!WebSeedSource.IsUsable(url))
            {
                _log?.Invoke($"web seed '{UntrustedText.Clean(url, 200)}' skipped: only http and https URLs are used");
                continue;
            }
            var seed = new WebSeed(this, url, new WebSeedSource(url, Torrent, _session.Settings.PeerScope, _options.RequestTimeout,
                _session.TrackerOptions.Dialer, Time));
            _webSeeds.Add(seed);
            _tasks.Add(seed.RunAsync(ct));
        }
    }

    /// <summary>A protocol event for the log (<see cref="Downloads.DownloadOptions.Log"/>).</summary>
    public void LogLine(string line) => _log?.Invoke(line);

    /// <summary>What became of a block a web seed fetched, as <see cref="OnBlockAsync"/> is for a peer's.</summary>
    public async ValueTask OnWebSeedBlockAsync(WebSeed from, BlockResult result, BlockRequest block, CancellationToken ct)
    {
        if (result.Kind is BlockResultKind.Unrequested or BlockResultKind.Duplicate) return;
        OnTransferred(received: block.Length, uploaded: 0);
        CancelElsewhere(result.CancelPeers, block.Index, block.Begin, block.Length);
        if (result.Kind == BlockResultKind.PieceVerified)
        {
            if (result.Culprits.Count > 0) OnBadBlocksFound(result.PieceIndex, result.Culprits);
            await OnVerifiedAsync(result.Piece!, ct).ConfigureAwait(false);
        }
        else if (result.Kind == BlockResultKind.PieceFailed) OnPieceFailed(result.PieceIndex, result.Contributors, result.Culprits);
    }

    private void DisposeWebSeeds()
    {
        foreach (var seed in _webSeeds) seed.Dispose();
    }
}
