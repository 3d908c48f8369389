using System.Globalization;

namespace TorrentLab.Cli.Display;

/// <summary>Human-readable sizes, rates and durations (binary units: KiB, MiB, GiB).</summary>
internal static class Units
{
    private static readonly string[] Names = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Bytes(double bytes)
    {
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < Names.Length - 1) { bytes /= 1024; unit++; }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {Names[unit]}");
    }

    /// <summary>A count and its noun, singular for one: <c>1 peer</c>, <c>3 peers</c>.</summary>
    public static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    public static string Rate(double bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    public static string Duration(TimeSpan? span) => span switch
    {
        null => "--:--",
        { TotalHours: >= 100 } => ">99h",
        { TotalHours: >= 1 } s => string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalHours}:{s.Minutes:00}:{s.Seconds:00}"),
        var s => string.Create(CultureInfo.InvariantCulture, $"{s.Value.Minutes:00}:{s.Value.Seconds:00}"),
    };
}
