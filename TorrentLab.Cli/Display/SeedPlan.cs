using System.Globalization;

namespace TorrentLab.Cli.Display;

/// <summary>What a download does once complete, for the display: seed or not, and what ends the seeding.</summary>
/// <param name="Ratio">Stop once uploaded/size reaches this (<c>--seed-ratio</c>); null: no ratio limit.</param>
/// <param name="Time">Stop after this long (<c>--seed-time</c>); null: no time limit.</param>
/// <param name="Size">The torrent's size, the ratio's denominator.</param>
internal sealed record SeedPlan(double? Ratio, TimeSpan? Time, long Size)
{
    /// <summary>What ends the seeding, in a few words, its time limit counting down: <c>until ratio 2 or 29:48 from
    /// now, or Ctrl-C</c>.</summary>
    /// <param name="seeded">How long it has seeded so far: the time limit shows what is left of it.</param>
    public string Ends(TimeSpan seeded)
    {
        var limits = new List<string>();
        if (Ratio is { } ratio) limits.Add(string.Create(CultureInfo.InvariantCulture, $"ratio {ratio:0.##}"));
        if (Time is { } time) limits.Add($"{Units.Duration(time > seeded ? time - seeded : TimeSpan.Zero)} from now");
        return limits.Count == 0 ? "until Ctrl-C" : $"until {string.Join(" or ", limits)}, or Ctrl-C";
    }

    /// <summary>Uploaded over size, as the ratio limit counts it.</summary>
    public double RatioOf(long uploaded) => Size == 0 ? 0 : (double)uploaded / Size;

    /// <summary>The ratio as shown: two decimals.</summary>
    public string ShowRatio(long uploaded) => string.Create(CultureInfo.InvariantCulture, $"{RatioOf(uploaded):0.00}");
}
