namespace TorrentLab.Dht;

/// <summary>The round trips of the answers a node got, smoothed as RFC 6298 does, and the short timeout a lookup draws
/// from them.</summary>
internal sealed class RoundTripEstimator
{
    /// <summary>The short timeout before any answer was timed: libtorrent's fixed one (<c>rpc_manager::tick</c>), also
    /// the most it can grow to.</summary>
    internal static readonly TimeSpan MaxShortTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The least the short timeout shrinks to, whatever the round trips seen (loopback, a LAN).</summary>
    internal static readonly TimeSpan MinShortTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private double _smoothedRttMs = double.NaN;
    private double _rttVariationMs;

    /// <summary>After how long a lookup counts one of its queries as slow and asks another node beside it (the query
    /// still waits for its answer until <see cref="DhtNodeOptions.QueryTimeout"/>): the smoothed round trip of the
    /// answers this node got plus four times their variation (RFC 6298's retransmission timeout, over all the nodes we
    /// ask rather than one path), between <see cref="MinShortTimeout"/> and <see cref="MaxShortTimeout"/>; the latter
    /// until a first answer was timed.</summary>
    /// <remarks>Derived rather than fixed: with libtorrent's fixed second, each silent node costs a lookup that second
    /// (nine round trips of the simulated DHT in bench/sim, median 110 ms); from the answers seen, a query is slow once
    /// it took longer than nearly every answer does, on a fast network or a slow one.</remarks>
    public TimeSpan ShortTimeout
    {
        get
        {
            double ms;
            lock (_lock) ms = _smoothedRttMs + 4 * _rttVariationMs;
            return double.IsNaN(ms) ? MaxShortTimeout
                : TimeSpan.FromMilliseconds(Math.Clamp(ms, MinShortTimeout.TotalMilliseconds, MaxShortTimeout.TotalMilliseconds));
        }
    }

    /// <summary>Feeds one answer's round trip to <see cref="ShortTimeout"/> (RFC 6298 section 2: gains 1/8 and 1/4).</summary>
    public void Note(TimeSpan rtt)
    {
        var ms = rtt.TotalMilliseconds;
        lock (_lock)
        {
            if (double.IsNaN(_smoothedRttMs))
            {
                _smoothedRttMs = ms;
                _rttVariationMs = ms / 2;
                return;
            }
            _rttVariationMs = 0.75 * _rttVariationMs + 0.25 * Math.Abs(_smoothedRttMs - ms);
            _smoothedRttMs = 0.875 * _smoothedRttMs + 0.125 * ms;
        }
    }
}
