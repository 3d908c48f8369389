using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using TorrentLab.Downloads;

namespace TorrentLab.Cli.Commands;

/// <summary><c>--max-download-rate</c> and <c>--max-upload-rate</c> (aria2's names): bytes per second with an optional
/// binary unit, <c>500K</c>, <c>2M</c>, <c>1.5M</c>, <c>1048576</c>; 0 is unlimited.</summary>
internal static class RateOption
{
    /// <summary>Far above any link (1 TiB/s); a larger figure is a typo.</summary>
    private const double MaxRate = 1L << 40;

    public static Option<long> Download() => Create("--max-download-rate", "Most payload bytes per second to download, e.g. 500K, 2M, 1.5M (0: unlimited)");

    public static Option<long> Upload() => Create("--max-upload-rate", "Most payload bytes per second to upload, e.g. 500K, 2M, 1.5M (0: unlimited)");

    private static Option<long> Create(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result, name),
    };

    /// <summary>The token bucket a rate asks for; null when unlimited.</summary>
    public static RateLimit? Limit(long bytesPerSecond) => bytesPerSecond > 0 ? new RateLimit(bytesPerSecond) : null;

    /// <summary>Reads a rate; a bad value is a usage error naming the option.</summary>
    public static long? TryParse(string text)
    {
        text = text.Trim();
        var multiplier = 1L;
        if (text.Length > 0 && char.ToUpperInvariant(text[^1]) is 'K' or 'M' or 'G')
        {
            multiplier = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            text = text[..^1];
        }
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return null;
        var bytes = number * multiplier;
        return bytes is >= 0 and <= MaxRate ? (long)Math.Round(bytes) : null;
    }

    private static long Parse(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        if (TryParse(text) is { } rate) return rate;
        result.AddError($"{name} expects bytes per second such as 500K, 2M, 1.5M or 1048576 (0: unlimited), got '{text}'");
        return 0;
    }
}
