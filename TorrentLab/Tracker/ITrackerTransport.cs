using TorrentLab.Metainfo;

namespace TorrentLab.Tracker;

/// <summary>One tracker URL spoken to over one protocol: HTTP (<see cref="HttpTracker"/>) or UDP (<see cref="UdpTracker"/>).</summary>
internal interface ITrackerTransport
{
    string Url { get; }

    /// <exception cref="TrackerException">Any failure: the tracker's own reason, a malformed answer, a transport error.</exception>
    Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct);

    /// <exception cref="TrackerException">As <see cref="AnnounceAsync"/>, or the tracker has no scrape URL.</exception>
    Task<ScrapeResult> ScrapeAsync(InfoHash infoHash, CancellationToken ct);
}
