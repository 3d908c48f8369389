namespace TorrentLab.Creation;

/// <summary>What goes into a new .torrent besides the files: trackers, piece length, flags and descriptive keys.</summary>
/// <remarks>Only <see cref="PieceLength"/>, <see cref="Format"/> and <see cref="Private"/> change the info hash; every other option lives
/// outside the <c>info</c> dictionary.</remarks>
public sealed record TorrentCreateOptions
{
    /// <summary>The <c>created by</c> value written unless told otherwise: "TorrentLab 0.1.0".</summary>
    public static string DefaultCreatedBy { get; } = "TorrentLab " + VersionText();

    /// <summary>BEP 12 tracker tiers, tried in order. The first URL becomes <c>announce</c>; <c>announce-list</c> is
    /// written only when there is more than one URL (as mktorrent and libtorrent do).</summary>
    public IReadOnlyList<IReadOnlyList<string>> TrackerTiers { get; init; } = [];

    /// <summary>Bytes per piece: a power of two from 16 KiB to 16 MiB; null picks <see cref="PieceLengthRule.Automatic"/>.</summary>
    public int? PieceLength { get; init; }

    /// <summary>v1 (the default), v2 or hybrid (BEP 52); changes the info hash.</summary>
    public TorrentFormat Format { get; init; } = TorrentFormat.V1;

    /// <summary>BEP 27: writes <c>info.private = 1</c> (peers only from the trackers; changes the info hash).</summary>
    public bool Private { get; init; }

    /// <summary><c>comment</c>; null or empty omits it.</summary>
    public string? Comment { get; init; }

    /// <summary>BEP 19 <c>url-list</c>: one URL is written as a string, several as a list (as mktorrent and libtorrent do).</summary>
    public IReadOnlyList<string> WebSeeds { get; init; } = [];

    /// <summary><c>created by</c>; null omits it.</summary>
    public string? CreatedBy { get; init; } = DefaultCreatedBy;

    /// <summary><c>creation date</c> in whole seconds; the time the options were made unless set; null omits it
    /// (like mktorrent -d), which makes the whole file reproducible.</summary>
    public DateTimeOffset? CreationDate { get; init; } = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    /// <summary>Options with one tier per tracker URL, the way repeated <c>--tracker</c> (mktorrent <c>-a</c>) reads.</summary>
    public static TorrentCreateOptions WithTrackers(params string[] trackerUrls) =>
        new() { TrackerTiers = [.. trackerUrls.Select(url => (IReadOnlyList<string>)[url])] };

    private static string VersionText()
    {
        var version = typeof(TorrentCreateOptions).Assembly.GetName().Version ?? new Version(0, 0, 0);
        return $"{version.Major}.{version.Minor}.{Math.Max(version.Build, 0)}";
    }
}
