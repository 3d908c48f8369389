using System.Net;

namespace TorrentLab.Tracker;

/// <summary>A tracker's successful answer to an announce (BEP 3, with BEP 23 compact and BEP 7 IPv6 peers).</summary>
/// <param name="Peers">IPv4 and IPv6 peers, in the order the tracker sent them.</param>
/// <param name="Interval">How long to wait before the next regular announce.</param>
/// <param name="MinInterval">The tracker's floor for announces, when it sends one.</param>
/// <param name="Complete">Seeders in the swarm, when reported.</param>
/// <param name="Incomplete">Leechers in the swarm, when reported.</param>
/// <param name="WarningMessage">A warning shown to the user; the announce still succeeded.</param>
/// <param name="TrackerId">A value to echo back as <c>trackerid</c> on the next announce.</param>
public sealed record AnnounceResponse(IReadOnlyList<IPEndPoint> Peers, TimeSpan Interval, TimeSpan? MinInterval,
    int? Complete, int? Incomplete, string? WarningMessage, string? TrackerId);
