using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>The stall limit, the swarm's part of it: the download fails when no block arrived for
/// <see cref="DownloadOptions.StallTimeout"/>, and while none arrives the progress says why ("waiting for peers").</summary>
internal sealed class StallWatch
{
    private readonly TorrentSwarm _swarm;
    private long _lastDownloaded = -1;
    private long _lastProgressAt; // a timestamp of Time

    public StallWatch(TorrentSwarm swarm)
    {
        _swarm = swarm;
        _lastProgressAt = swarm.Time.GetTimestamp();
    }

    /// <summary>Fails the download when no block arrived for the stall timeout (never, without one: we wait for peers).</summary>
    public void Check()
    {
        if (!_swarm.Downloading) return;
        var downloaded = _swarm.Pieces.DownloadedBytes;
        if (downloaded != _lastDownloaded)
        {
            _lastDownloaded = downloaded;
            _lastProgressAt = _swarm.Time.GetTimestamp();
            return;
        }
        if (_swarm.Options.StallTimeout is not { } limit || _swarm.Time.GetElapsedTime(_lastProgressAt) < limit) return;
        var bad = _swarm.BadPeers;
        var tracker = _swarm.Announcing.InUse?.LastError is { } error ? $"; tracker: {error}"
            : _swarm.Announcing.InUse?.Unanswered is { } asked ? $"; tracker: no answer yet from {asked}" : "";
        var dropped = _swarm.WebSeeding.DroppedNote();
        _swarm.Fail(new DownloadFailedException(
            $"no peer delivered data for {limit.TotalSeconds:0} s: {_swarm.ConnectedCount} connected, " +
            $"{bad.Count} banned{(bad.Count > 0 ? $" ({string.Join("; ", bad)})" : "")}{tracker}{dropped}; " +
            $"{_swarm.Pieces.HaveCount} of {_swarm.Torrent.PieceCount} pieces verified"));
    }

    /// <summary>The swarm downloads again after it seeded: the stall limit counts from now.</summary>
    public void Restart() => _lastDownloaded = -1;

    /// <summary>No block for this long while downloading shows the "waiting for peers" status.</summary>
    private static readonly TimeSpan WaitingAfter = TimeSpan.FromSeconds(5);

    /// <summary>Why nothing arrives, while nothing does: "waiting for peers: 0 connected; tracker X answered 0, next
    /// announce in 30 s"; null while blocks arrive (or when seeding).</summary>
    public string? WaitingStatus(int connected)
    {
        if (!_swarm.Downloading || _lastDownloaded < 0 || _swarm.Time.GetElapsedTime(_lastProgressAt) < WaitingAfter) return null;
        var source = _swarm.Announcing.InUse?.Status ?? "announcing";
        var known = _swarm.Book.Known;
        return $"waiting for peers: {connected} connected{(connected > 0 ? " (none sending)" : "")}, {known} known; {source}";
    }
}
