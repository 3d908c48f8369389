namespace TorrentLab.Simulation;

/// <summary>A host's access link to the core of the simulated internet, which itself is never the bottleneck (the
/// fluid model's assumption): one-way latency to the core, upload and download capacity, the chance a datagram is
/// lost, the most a datagram may be delayed beyond the latency (so later ones can overtake it), and the bytes the
/// upload queue holds before it drops datagrams.</summary>
/// <param name="Latency">One-way delay between the host and the core; a path's delay is the sum of both ends'.</param>
/// <param name="UpBytesPerSecond">Upload capacity; 0 is unlimited.</param>
/// <param name="DownBytesPerSecond">Download capacity; 0 is unlimited.</param>
/// <param name="Loss">Chance in [0, 1) that a datagram sent is lost (TCP is modelled loss-free: its retransmissions
/// are inside its steady state).</param>
/// <param name="Jitter">Extra delay of each datagram, uniform in [0, Jitter): what reorders them.</param>
/// <param name="QueueBytes">Datagrams waiting to be uploaded beyond this are dropped (tail drop), as a home router's
/// buffer: what LEDBAT sees as queueing delay. A limited download holds about this much TCP on its way, each
/// connection an equal share of it at most (<see cref="AccessLink.FlowShare"/>), as congestion control makes them.</param>
internal sealed record LinkSpec(TimeSpan Latency, long UpBytesPerSecond = 0, long DownBytesPerSecond = 0, double Loss = 0,
    TimeSpan Jitter = default, int QueueBytes = 256 * 1024)
{
    /// <summary>A fast link: 5 ms to the core, no capacity limit, no loss.</summary>
    public static LinkSpec Fast { get; } = new(TimeSpan.FromMilliseconds(5));
}
