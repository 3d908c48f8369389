using System.Globalization;

namespace TorrentLab.Simulation;

/// <summary>Round trips between regions of the internet, from a published measurement: each region's share of the
/// hosts, and for each pair of regions the quantiles of its round trips (Data/rtt-ripe-atlas.txt, derived from RIPE
/// Atlas pings by bench/sim/derive-rtt-table.py; the file's header says how).</summary>
/// <remarks>The text format, one item a line, '#' starts a comment:
/// <code>
/// quantiles 0.01 0.05 ... 0.99      the shares at which every rtt line gives a round trip, increasing, in (0, 1)
/// region EU 0.5542                  a region and its share of the hosts (the shares add up to 1)
/// rtt EU NA 99.0 113.6 ... 163.4    the round trips in ms between two regions at those shares, non-decreasing
/// </code>
/// Every pair of regions (a region with itself included) needs its rtt line; the table is symmetric.</remarks>
internal sealed class RttTable
{
    private readonly double[] _shares;
    private readonly double[][] _rtts; // [a * regions + b], the same array for (a, b) and (b, a)

    private RttTable(double[] quantiles, string[] regions, double[] shares, double[][] rtts)
    {
        Quantiles = quantiles;
        Regions = regions;
        _shares = shares;
        _rtts = rtts;
    }

    /// <summary>The shares at which each pair's round trips are given.</summary>
    public IReadOnlyList<double> Quantiles { get; }

    /// <summary>The regions' names, in the file's order.</summary>
    public IReadOnlyList<string> Regions { get; }

    /// <summary>Region <paramref name="region"/>'s share of the hosts.</summary>
    public double Share(int region) => _shares[region];

    /// <summary>The round trips in ms between regions <paramref name="a"/> and <paramref name="b"/>, one per quantile.</summary>
    public IReadOnlyList<double> Between(int a, int b) => _rtts[a * Regions.Count + b];

    /// <summary>The table shipped with the simulator (RIPE Atlas, Data/rtt-ripe-atlas.txt).</summary>
    public static RttTable Published { get; } = LoadPublished();

    private static RttTable LoadPublished()
    {
        using var stream = typeof(RttTable).Assembly.GetManifestResourceStream("TorrentLab.Simulation.rtt-ripe-atlas.txt")
            ?? throw new InvalidOperationException("the simulator was built without Data/rtt-ripe-atlas.txt");
        using var reader = new StreamReader(stream);
        return Load(reader);
    }

    /// <summary>The round trip in ms between regions <paramref name="a"/> and <paramref name="b"/> at
    /// <paramref name="share"/> of their distribution: linear between the table's quantiles, and the first or last
    /// quantile's value beyond them (the table does not reproduce the extremes).</summary>
    public double RttMs(int a, int b, double share)
    {
        var rtts = _rtts[a * Regions.Count + b];
        var q = Quantiles;
        if (share <= q[0]) return rtts[0];
        if (share >= q[^1]) return rtts[^1];
        var i = 1;
        while (q[i] < share) i++;
        return rtts[i - 1] + (rtts[i] - rtts[i - 1]) * (share - q[i - 1]) / (q[i] - q[i - 1]);
    }

    /// <summary>A region drawn by the regions' shares from <paramref name="uniform"/> in [0, 1).</summary>
    public int Region(double uniform)
    {
        for (var r = 0; r < _shares.Length - 1; r++)
        {
            uniform -= _shares[r];
            if (uniform < 0) return r;
        }
        return _shares.Length - 1;
    }

    /// <summary>Reads a table; a line that breaks the format, a missing pair or shares that do not add up to 1 throw
    /// <see cref="FormatException"/> saying which line or pair.</summary>
    public static RttTable Load(TextReader reader)
    {
        var inv = CultureInfo.InvariantCulture;
        double[]? quantiles = null;
        var regions = new List<string>();
        var shares = new List<double>();
        var pairs = new Dictionary<(string, string), double[]>();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var fields = line.Split('#')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            FormatException Bad(string what) => new($"rtt table line {number}: {what}");
            double Number(string text) => double.TryParse(text, NumberStyles.Float, inv, out var v) && double.IsFinite(v) && v >= 0
                ? v : throw Bad($"expected a number >= 0, got '{text}'");
            switch (fields[0])
            {
                case "quantiles":
                    quantiles = fields[1..].Select(Number).ToArray();
                    if (quantiles.Length < 2 || quantiles.Any(s => s is <= 0 or >= 1) || quantiles.Zip(quantiles.Skip(1)).Any(p => p.Second <= p.First))
                        throw Bad("expected at least two increasing shares in (0, 1)");
                    break;
                case "region" when fields.Length == 3:
                    if (regions.Contains(fields[1])) throw Bad($"region {fields[1]} given twice");
                    regions.Add(fields[1]);
                    shares.Add(Number(fields[2]));
                    break;
                case "rtt":
                    if (quantiles is null) throw Bad("an rtt line before the quantiles line");
                    if (fields.Length != 3 + quantiles.Length) throw Bad($"expected {quantiles.Length} round trips, got {fields.Length - 3}");
                    var rtts = fields[3..].Select(Number).ToArray();
                    if (rtts.Zip(rtts.Skip(1)).Any(p => p.Second < p.First)) throw Bad("round trips must not decrease");
                    if (!pairs.TryAdd((fields[1], fields[2]), rtts) || (fields[1] != fields[2] && pairs.ContainsKey((fields[2], fields[1]))))
                        throw Bad($"round trips between {fields[1]} and {fields[2]} given twice");
                    break;
                default:
                    throw Bad($"expected 'quantiles', 'region NAME SHARE' or 'rtt A B ...', got '{fields[0]}'");
            }
        }
        if (quantiles is null || regions.Count == 0) throw new FormatException("rtt table: no quantiles line or no region");
        if (Math.Abs(shares.Sum() - 1) > 0.01) throw new FormatException(string.Create(inv, $"rtt table: the regions' shares add up to {shares.Sum():0.0000}, not 1"));
        var n = regions.Count;
        var table = new double[n * n][];
        for (var a = 0; a < n; a++)
        {
            for (var b = 0; b < n; b++)
            {
                table[a * n + b] = pairs.GetValueOrDefault((regions[a], regions[b])) ?? pairs.GetValueOrDefault((regions[b], regions[a]))
                    ?? throw new FormatException($"rtt table: no round trips between {regions[a]} and {regions[b]}");
            }
        }
        var unknown = pairs.Keys.FirstOrDefault(k => !regions.Contains(k.Item1) || !regions.Contains(k.Item2));
        if (unknown != default) throw new FormatException($"rtt table: round trips between {unknown.Item1} and {unknown.Item2}, not both regions");
        return new RttTable(quantiles, [.. regions], [.. shares], table);
    }
}
