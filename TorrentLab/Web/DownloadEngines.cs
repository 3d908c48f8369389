using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Session;

namespace TorrentLab.Web;

/// <summary>A download engine: <see cref="ReferenceDownload.RunAsync"/> and the swarm engine share this signature.</summary>
public delegate Task<DownloadResult> DownloadEngine(Torrent torrent, DownloadOptions options,
    IProgress<DownloadProgress>? progress, CancellationToken ct);

/// <summary>Picks the engine for a download, as the command line does: one peer runs the reference story.</summary>
internal static class DownloadEngines
{
    /// <summary>The engine for <paramref name="maxPeers"/>: 1 runs the single-peer reference path, more the swarm engine.</summary>
    public static DownloadEngine Choose(int maxPeers) => maxPeers switch
    {
        1 => ReferenceDownload.RunAsync,
        _ => Swarm.SwarmDownload.RunAsync,
    };
}
