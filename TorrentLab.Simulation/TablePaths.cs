namespace TorrentLab.Simulation;

/// <summary>Path delays from an <see cref="RttTable"/>: each host placed in a region, and each pair of hosts given one
/// round trip drawn from their regions' distribution, fixed for the run (the same seed and hosts give the same
/// delays, in whatever order packets ask), half of it each way. Hosts not placed keep their links' latencies.</summary>
internal sealed class TablePaths(RttTable table, int seed) : IPathDelay
{
    private readonly List<int> _region = []; // by SimHost.Number; -1: not placed

    public RttTable Table => table;

    /// <summary>Puts <paramref name="host"/> in region <paramref name="region"/>.</summary>
    public void Place(SimHost host, int region)
    {
        while (_region.Count <= host.Number) _region.Add(-1);
        _region[host.Number] = region;
    }

    /// <summary>The region <paramref name="host"/> was placed in, or -1.</summary>
    public int RegionOf(SimHost host) => host.Number < _region.Count ? _region[host.Number] : -1;

    /// <summary>The round trip in ms between two placed hosts, or null when either is not placed.</summary>
    public double? RttMs(SimHost a, SimHost b)
    {
        var (ra, rb) = (RegionOf(a), RegionOf(b));
        if (ra < 0 || rb < 0) return null;
        // At least 1 ms: the table's smallest round trips (hosts in one city) are below a millisecond.
        return Math.Max(1, table.RttMs(ra, rb, PairShare(a.Number, b.Number)));
    }

    public TimeSpan? OneWay(SimHost from, SimHost to) => RttMs(from, to) is { } rtt ? TimeSpan.FromMilliseconds(rtt / 2) : null;

    /// <summary>A number in [0, 1) fixed by the seed and the unordered pair (SplitMix64's finaliser over both).</summary>
    private double PairShare(int a, int b)
    {
        var (low, high) = a < b ? (a, b) : (b, a);
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + ((ulong)(uint)low << 32 | (uint)high));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
