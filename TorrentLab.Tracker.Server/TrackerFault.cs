namespace TorrentLab.Tracker.Server;

/// <summary>A scripted misbehaviour of the embeddable tracker, for testing how clients cope.</summary>
/// <remarks>Faults apply to announces and scrapes (never to the BEP 15 connect step). Per transport:</remarks>
public enum TrackerFault
{
    /// <summary>Answer normally.</summary>
    None,
    /// <summary>HTTP: status 500 with a plain-text body. UDP: the request is dropped (no answer).</summary>
    Http500,
    /// <summary>HTTP: a bencoded <c>failure reason</c>. UDP: an error action (3). The text is <see cref="TrackerFaults.FailureReason"/>.</summary>
    FailureReason,
    /// <summary>HTTP: a body that is not bencode at all. UDP: the right transaction id with an undefined action.</summary>
    GarbageBencode,
    /// <summary>HTTP: the real answer cut in the middle. UDP: the real answer cut inside its 20-byte header.</summary>
    TruncatedBencode,
    /// <summary>The real answer whose compact peer list has 3 stray bytes (not a multiple of 6 or 18).</summary>
    TruncatedCompactPeers,
    /// <summary>The real answer, after <see cref="TrackerFaults.SlowDelay"/>.</summary>
    SlowAnswer,
    /// <summary>A valid answer with no peers (the swarm is still updated).</summary>
    EmptyPeerList,
    /// <summary>HTTP: the connection is closed without an answer. UDP: the request is dropped.</summary>
    DropConnection,
}

/// <summary>The faults a <see cref="TrackerServer"/> plays: one for the next request, or one for every request.</summary>
public sealed class TrackerFaults
{
    private int _next;

    /// <summary>The fault for the next announce or scrape only; it resets to <see cref="TrackerFault.None"/> once used.</summary>
    public TrackerFault Next
    {
        get => (TrackerFault)Volatile.Read(ref _next);
        set => Volatile.Write(ref _next, (int)value);
    }

    /// <summary>The fault for every announce and scrape (after <see cref="Next"/> is used up).</summary>
    public TrackerFault Always { get; set; }

    /// <summary>How long <see cref="TrackerFault.SlowAnswer"/> waits.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The text of <see cref="TrackerFault.FailureReason"/>.</summary>
    public string FailureReason { get; set; } = "scripted failure";

    /// <summary>The fault for this request: <see cref="Next"/> once, else <see cref="Always"/>.</summary>
    internal TrackerFault Take()
    {
        var next = (TrackerFault)Interlocked.Exchange(ref _next, (int)TrackerFault.None);
        return next != TrackerFault.None ? next : Always;
    }
}
