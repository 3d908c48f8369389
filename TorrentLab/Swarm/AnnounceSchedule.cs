using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

/// <summary>When to announce again after a successful announce: the tracker's interval, never sooner than its
/// <c>min interval</c> nor than <see cref="Floor"/>, whatever it says (a tracker answering <c>interval=0</c> must
/// not get an announce storm); sooner than the interval (down to the floor) while few peers are connected.</summary>
internal static class AnnounceSchedule
{
    /// <summary>60 s: no tracker answer makes us announce more often than once a minute (libtorrent's floor too).</summary>
    public static readonly TimeSpan Floor = TimeSpan.FromSeconds(60);

    /// <summary>Below this many connected peers, announce at the floor rather than wait a full interval.</summary>
    public const int FewPeers = 5;

    /// <summary>The wait before the next regular announce.</summary>
    /// <param name="response">The tracker's answer (BEP 3 <c>interval</c>, optional <c>min interval</c>).</param>
    /// <param name="connected">Peers connected now.</param>
    public static TimeSpan Next(AnnounceResponse response, int connected)
    {
        var floor = response.MinInterval is { } min && min > Floor ? min : Floor;
        var wait = response.Interval > floor ? response.Interval : floor;
        return connected < FewPeers ? floor : wait;
    }
}
