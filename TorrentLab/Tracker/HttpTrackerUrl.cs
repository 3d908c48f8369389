using System.Globalization;
using System.Text;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker;

/// <summary>Builds HTTP tracker URLs: the announce query (BEP 3, 23) and the scrape URL (BEP 48).</summary>
internal static class HttpTrackerUrl
{
    /// <summary>The announce URL with every parameter appended; a query already in <paramref name="announceUrl"/> is kept.</summary>
    /// <remarks>BEP 3: info_hash and peer_id are the raw bytes, URL-encoded; never the 40-character hex form.
    /// <c>&lt;announce&gt;?info_hash=%..&amp;peer_id=..&amp;port=..&amp;uploaded=..&amp;downloaded=..&amp;left=..&amp;compact=1[&amp;event=..]&amp;numwant=..&amp;key=..[&amp;trackerid=..]</c></remarks>
    public static string Announce(string announceUrl, AnnounceRequest request)
    {
        var url = new StringBuilder(announceUrl.Length + 200);
        AppendBase(url, announceUrl);
        url.Append("info_hash=").Append(request.InfoHash.UrlEncoded)
            .Append("&peer_id=").Append(InfoHash.PercentEncode(request.PeerId.Bytes))
            .Append("&port=").Append(Number(request.Port))
            .Append("&uploaded=").Append(Number(request.Uploaded))
            .Append("&downloaded=").Append(Number(request.Downloaded))
            .Append("&left=").Append(Number(request.Left))
            .Append("&compact=1"); // BEP 23: ask for the 6-bytes-per-peer string
        var evt = EventName(request.Event);
        if (evt is not null) url.Append("&event=").Append(evt); // BEP 3: a regular announce leaves event out
        url.Append("&numwant=").Append(Number(request.NumWant))
            .Append("&key=").Append(request.Key.ToString("x8", CultureInfo.InvariantCulture));
        if (request.TrackerId is not null)
            url.Append("&trackerid=").Append(InfoHash.PercentEncode(Encoding.UTF8.GetBytes(request.TrackerId)));
        return url.ToString();
    }

    /// <summary>The scrape URL for an announce URL, or null when the tracker has no scrape convention.</summary>
    /// <remarks>BEP 48: the client locates "announce" in the path and replaces it with "scrape". As every client
    /// does, only the last path segment is considered and it must start with "announce"
    /// (<c>/announce.php</c> becomes <c>/scrape.php</c>; <c>/a/announce?x=1</c> becomes <c>/a/scrape?x=1</c>).</remarks>
    public static string? Scrape(string announceUrl)
    {
        var queryStart = announceUrl.IndexOf('?');
        var path = queryStart < 0 ? announceUrl : announceUrl[..queryStart];
        var slash = path.LastIndexOf('/');
        if (slash < 0 || !path.AsSpan(slash + 1).StartsWith("announce", StringComparison.Ordinal)) return null;
        return string.Concat(path.AsSpan(0, slash + 1), "scrape", announceUrl.AsSpan(slash + 1 + "announce".Length));
    }

    /// <summary>The scrape request for one torrent: the scrape URL plus <c>info_hash=</c> (BEP 48).</summary>
    public static string ScrapeRequest(string scrapeUrl, InfoHash infoHash)
    {
        var url = new StringBuilder(scrapeUrl.Length + 80);
        AppendBase(url, scrapeUrl);
        return url.Append("info_hash=").Append(infoHash.UrlEncoded).ToString();
    }

    /// <summary>The query value of an event; null for a regular announce.</summary>
    public static string? EventName(AnnounceEvent value) => value switch
    {
        AnnounceEvent.Started => "started",
        AnnounceEvent.Completed => "completed",
        AnnounceEvent.Stopped => "stopped",
        AnnounceEvent.Paused => "paused",
        _ => null,
    };

    // Private trackers put a passkey in the announce query; it stays, and our parameters follow with '&'.
    private static void AppendBase(StringBuilder url, string baseUrl)
    {
        url.Append(baseUrl);
        if (!baseUrl.Contains('?')) url.Append('?');
        else if (!baseUrl.EndsWith('?') && !baseUrl.EndsWith('&')) url.Append('&');
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
