using System.Net;
using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;

namespace TorrentLab.Tracker;

/// <summary>Reads the bencoded answers of an HTTP tracker: announce (BEP 3, 23, 7) and scrape (BEP 48).</summary>
/// <remarks>Decoded leniently: real trackers send dictionary keys unsorted and sometimes a trailing newline.</remarks>
internal static class HttpTrackerResponse
{
    // BEP 3 says nothing of a default; when a tracker leaves interval out we wait 30 minutes, as most clients do.
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(30);

    /// <summary>Parses an announce answer.</summary>
    /// <remarks><c>d [failure reason] [warning message] interval [min interval] [tracker id] [complete] [incomplete]
    /// peers:(string of 6n bytes | list of d ip port [peer id] e) [peers6:string of 18n bytes] e</c></remarks>
    /// <exception cref="TrackerException">A failure reason (carrying the tracker's text) or a malformed answer.</exception>
    public static AnnounceResponse ParseAnnounce(ReadOnlyMemory<byte> body)
    {
        var root = DecodeRoot(body);
        var peers = new List<IPEndPoint>();
        switch (root["peers"])
        {
            case BString compact: peers.AddRange(CompactPeers.Decode(compact.Bytes.Span, AddressFamily.InterNetwork, "peers")); break;
            case BList list: peers.AddRange(ReadPeerDictionaries(list)); break;
            case null: break; // BEP 7: an IPv6-only answer may carry only peers6
            default: throw new TrackerException("'peers' must be a string (compact) or a list of dictionaries");
        }
        switch (root["peers6"])
        {
            case BString compact6: peers.AddRange(CompactPeers.Decode(compact6.Bytes.Span, AddressFamily.InterNetworkV6, "peers6")); break;
            case null: break;
            default: throw new TrackerException("'peers6' must be a string of 18-byte entries");
        }
        if (root["peers"] is null && root["peers6"] is null)
            throw new TrackerException("the answer has neither 'peers' nor 'failure reason'");
        return new AnnounceResponse(
            peers,
            Seconds(root, "interval") ?? DefaultInterval,
            Seconds(root, "min interval"),
            Count(root, "complete"),
            Count(root, "incomplete"),
            (root["warning message"] as BString)?.Text is { } warning ? UntrustedText.Clean(warning) : null,
            (root["tracker id"] as BString)?.Text);
    }

    /// <summary>Parses a scrape answer and picks the entry of <paramref name="infoHash"/>.</summary>
    /// <remarks><c>d files: d &lt;20-byte info hash&gt;: d complete downloaded incomplete [name] e ... e e</c> (BEP 48)</remarks>
    public static ScrapeResult ParseScrape(ReadOnlyMemory<byte> body, InfoHash infoHash)
    {
        var root = DecodeRoot(body);
        if (root["files"] is not BDictionary files) throw new TrackerException("the scrape answer has no 'files' dictionary");
        if (!files.TryGet(infoHash.Bytes, out var entry) || entry is not BDictionary stats)
            throw new TrackerException($"the scrape answer does not mention info hash {infoHash.Hex}");
        return new ScrapeResult(Count(stats, "complete") ?? 0, Count(stats, "incomplete") ?? 0, Count(stats, "downloaded") ?? 0,
            Count(stats, "downloaders"));
    }

    private static BDictionary DecodeRoot(ReadOnlyMemory<byte> body)
    {
        BDictionary root;
        try
        {
            root = BencodeDecoder.DecodeDictionary(body, BencodeOptions.Lenient);
        }
        catch (BencodeException e)
        {
            throw new TrackerException($"the answer is not valid bencode: {e.Message}", e);
        }
        // BEP 3: "If a tracker response has a key failure reason, then that maps to a human readable string which
        // explains why the query failed, and no other keys are required."
        if (root["failure reason"] is BString reason)
            throw new TrackerException($"failure reason: {UntrustedText.Clean(reason.Text)}") { FailureReason = UntrustedText.Clean(reason.Text) };
        return root;
    }

    // BEP 3: "peers maps to a list of dictionaries corresponding to peers, each of which contains the keys
    // peer id, ip and port". An ip may be a DNS name; TorrentLab dials only literal addresses and skips names.
    private static IEnumerable<IPEndPoint> ReadPeerDictionaries(BList list)
    {
        foreach (var item in list.Items)
        {
            if (item is not BDictionary peer || peer["ip"] is not BString ip || peer["port"] is not BInteger port)
                throw new TrackerException("each entry of 'peers' must be a dictionary with 'ip' and 'port'");
            if (port.Value is < 0 or > ushort.MaxValue)
                throw new TrackerException($"peer port {port.Value} is out of range 0-65535");
            if (IPAddress.TryParse(ip.Text, out var address)) yield return new IPEndPoint(address, (int)port.Value);
        }
    }

    private static TimeSpan? Seconds(BDictionary root, string key) => root[key] switch
    {
        BInteger { Value: >= 0 and <= int.MaxValue } i => TimeSpan.FromSeconds(i.Value),
        null => null,
        var other => throw new TrackerException($"'{key}' must be a non-negative integer of seconds, got {Describe(other)}"),
    };

    private static int? Count(BDictionary root, string key) => root[key] switch
    {
        BInteger { Value: >= 0 and <= int.MaxValue } i => (int)i.Value,
        null => null,
        var other => throw new TrackerException($"'{key}' must be a non-negative integer, got {Describe(other)}"),
    };

    private static string Describe(BValue value) => value switch
    {
        BInteger i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        BString => "a string",
        BList => "a list",
        _ => "a dictionary",
    };
}
