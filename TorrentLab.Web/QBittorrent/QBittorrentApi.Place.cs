using Microsoft.AspNetCore.Http;
using static TorrentLab.Web.QBittorrentAnswer;

namespace TorrentLab.Web;

// The torrents/* routes of a torrent's place and trackers: setLocation (moving the data), addTrackers,
// removeTrackers and editTracker.
internal sealed partial class QBittorrentApi
{
    /// <summary>torrents/setLocation: <c>hashes</c> and <c>location</c>, a folder inside the downloads folder; the data
    /// moves there. qBittorrent answers 400 without a location; a folder outside is a 400 here too.</summary>
    private Task SetLocationAsync(HttpContext context, QBittorrentInput input)
    {
        var location = input["location"];
        if (string.IsNullOrEmpty(location)) throw new WebApiException(400, "give 'location': a folder inside the downloads folder");
        _torrents.SaveFolderOf(location);
        return ForEachAsync(context, input, t => _torrents.MoveAsync(t, location, moveData: true, context.RequestAborted));
    }

    /// <summary>Applies a change to the tracker list of the torrent of <c>hash</c> (a running torrent restarts and
    /// announces to the new list).</summary>
    private async Task EditTrackersAsync(HttpContext context, QBittorrentInput input, Func<QBittorrentInput, List<List<string>>, List<List<string>>> change)
    {
        var torrent = Torrent(input);
        var tiers = change(input, [.. torrent.TrackerTiers.Select(tier => tier.ToList())]);
        await _torrents.Adjust.SetTrackersAsync(torrent, tiers, context.RequestAborted).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    /// <summary>torrents/addTrackers: <c>urls</c>, one per line, each added as a tier of its own after the others.</summary>
    private static List<List<string>> AddTrackers(QBittorrentInput input, List<List<string>> tiers)
    {
        var urls = (input["urls"] ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0) throw new WebApiException(400, "give 'urls': tracker URLs, one per line");
        tiers.AddRange(urls.Select(url => new List<string> { url }));
        return tiers;
    }

    /// <summary>torrents/removeTrackers: <c>urls</c> separated by <c>|</c>; those not listed change nothing.</summary>
    private static List<List<string>> RemoveTrackers(QBittorrentInput input, List<List<string>> tiers)
    {
        var urls = (input["urls"] ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (urls.Count == 0) throw new WebApiException(400, "give 'urls': tracker URLs separated by '|'");
        // As qbittorrent-nox 4.5.2: a URL not listed is already not listed (200, nothing changes for it).
        foreach (var tier in tiers) tier.RemoveAll(urls.Contains);
        return tiers;
    }

    /// <summary>torrents/editTracker: <c>origUrl</c> replaced by <c>newUrl</c> in its tier; 409 when origUrl is not listed
    /// or newUrl is already, as qBittorrent.</summary>
    private static List<List<string>> EditTracker(QBittorrentInput input, List<List<string>> tiers)
    {
        var (from, to) = (input["origUrl"] ?? "", input["newUrl"] ?? "");
        if (from.Length == 0 || to.Length == 0) throw new WebApiException(400, "give 'origUrl' and 'newUrl'");
        if (tiers.Any(tier => tier.Contains(to))) throw new WebApiException(409, "newUrl is listed already");
        var owner = tiers.FirstOrDefault(tier => tier.Contains(from)) ?? throw new WebApiException(409, "origUrl is not listed");
        owner[owner.IndexOf(from)] = to;
        return tiers;
    }
}
