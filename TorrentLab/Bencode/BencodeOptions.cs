namespace TorrentLab.Bencode;

/// <summary>How strict the decoder is and the limits it enforces before allocating anything.</summary>
public sealed record BencodeOptions
{
    /// <summary>Strict BEP 3: canonical integers and lengths, sorted unique keys, nothing after the value.</summary>
    public static BencodeOptions Strict { get; } = new();

    /// <summary>Accepts unsorted dictionary keys and trailing bytes after the value, as real torrents and trackers
    /// produce; everything else stays strict (leading zeros, duplicate keys and truncation are still errors).</summary>
    public static BencodeOptions Lenient { get; } = new() { AllowUnsortedKeys = true, AllowTrailingBytes = true };

    public bool AllowUnsortedKeys { get; init; }
    public bool AllowTrailingBytes { get; init; }

    /// <summary>Deepest nesting of lists and dictionaries; 100 as libtorrent, far below any stack limit.</summary>
    public int MaxDepth { get; init; } = 100;

    /// <summary>Most values in one input: bounds memory whatever the input claims (a 100,000-file torrent has ~600,000).</summary>
    public int MaxElements { get; init; } = 4_000_000;
}
