using TorrentLab.Fuzz.Targets;

namespace TorrentLab.Fuzz;

/// <summary>Every fuzz target, in the order a download meets the formats.</summary>
public static class FuzzTargets
{
    /// <summary>One target per parser: bencode, the .torrent, peer wire messages, extension messages, KRPC, uTP
    /// packets, tracker answers and the resume ledger; then the servers': the HTTP request head our tracker reads, a
    /// file of the web server's watch folder, and an RSS or Atom feed.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        BencodeTarget.Target,
        TorrentTarget.Target,
        TrackerTarget.Target,
        WireTarget.Target,
        ExtensionTarget.Target,
        KrpcTarget.Target,
        UtpTarget.Target,
        LedgerTarget.Target,
        HttpHeadTarget.Target,
        WatchTarget.Target,
        RssTarget.Target,
    ];

    /// <summary>The target named <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
