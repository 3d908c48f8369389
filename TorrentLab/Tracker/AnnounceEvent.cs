namespace TorrentLab.Tracker;

/// <summary>The <c>event</c> of an announce (BEP 3); <see cref="None"/> is a regular interval announce.</summary>
/// <remarks>The numeric values are ours; BEP 15 numbers them differently on the wire (see <c>UdpTrackerMessages</c>).</remarks>
public enum AnnounceEvent
{
    /// <summary>A regular announce: the HTTP query carries no <c>event</c> (BEP 15: 0).</summary>
    None,
    /// <summary>The first announce of a download (BEP 15: 2).</summary>
    Started,
    /// <summary>Sent once when the download completes, never when starting already complete (BEP 15: 1).</summary>
    Completed,
    /// <summary>Sent when the client shuts down gracefully (BEP 15: 3).</summary>
    Stopped,
    /// <summary>BEP 21: a regular announce from a partial seed (all wanted files done, others skipped), "in every
    /// announce while it is a partial seed". HTTP only: BEP 15 numbers no such event, so over UDP it is 0 (none).</summary>
    Paused,
}
