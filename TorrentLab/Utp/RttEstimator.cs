namespace TorrentLab.Utp;

/// <summary>Round-trip time, its variance and the retransmission timeout of one connection (BEP 29, "timeouts").</summary>
/// <remarks>
/// <code>
/// delta = rtt - packet_rtt
/// rtt_var += (abs(delta) - rtt_var) / 4;
/// rtt += (packet_rtt - rtt) / 8;
/// timeout = max(rtt + rtt_var * 4, 500);          // milliseconds
/// </code>
/// "The initial timeout is set to 1000 milliseconds ... For every packet consecutive subsequent packet that times
/// out, the timeout is doubled." The BEP does not say how the first sample starts the averages; as in TCP
/// (RFC 6298) it sets <c>rtt</c> to the sample and <c>rtt_var</c> to half of it. Milliseconds are kept as
/// fractions so that sub-millisecond loopback round trips still average sensibly.
/// </remarks>
internal sealed class RttEstimator
{
    /// <summary>BEP 29: "The initial timeout is set to 1000 milliseconds".</summary>
    public const double InitialTimeoutMs = 1000;

    /// <summary>BEP 29: "the minimum timeout for a packet is 1/2 second".</summary>
    public const double MinimumTimeoutMs = 500;

    /// <summary>A bound on the doubled timeout, so a dead peer is given up within minutes, not hours.</summary>
    public const double MaximumTimeoutMs = 30_000;

    private bool _hasSample;

    /// <summary>The smoothed round-trip time in milliseconds (0 before the first sample).</summary>
    public double Rtt { get; private set; }

    /// <summary>The smoothed mean deviation of the round-trip time, in milliseconds.</summary>
    public double RttVar { get; private set; }

    /// <summary>The timeout the formula gives, before any doubling.</summary>
    public double BaseTimeoutMs { get; private set; } = InitialTimeoutMs;

    /// <summary>Timeouts in a row since a packet last arrived.</summary>
    public int ConsecutiveTimeouts { get; private set; }

    /// <summary>The timeout in force: the formula's, doubled once per consecutive timeout.</summary>
    public double TimeoutMs => Math.Min(MaximumTimeoutMs, BaseTimeoutMs * Math.Pow(2, ConsecutiveTimeouts));

    /// <summary>Feeds the round trip of a packet that was sent once and is now acked.</summary>
    public void AddSample(double packetRttMs)
    {
        if (!_hasSample)
        {
            Rtt = packetRttMs;
            RttVar = packetRttMs / 2;
            _hasSample = true;
        }
        else
        {
            var delta = Rtt - packetRttMs;
            RttVar += (Math.Abs(delta) - RttVar) / 4;
            Rtt += (packetRttMs - Rtt) / 8;
        }
        BaseTimeoutMs = Math.Max(Rtt + RttVar * 4, MinimumTimeoutMs);
    }

    /// <summary>A packet arrived from the peer: the connection is alive, the doubling starts over.</summary>
    public void OnPacketReceived() => ConsecutiveTimeouts = 0;

    /// <summary>The timeout fired: the next one waits twice as long.</summary>
    public void OnTimeout() => ConsecutiveTimeouts++;
}
