using System.Net;
using TorrentLab.Client;
using TorrentLab.Magnet;

namespace TorrentLab.Web;

/// <summary>What <c>POST /api/torrents/link</c> and the remote-control APIs add by link: a magnet link (its metadata
/// fetched from peers, BEP 9), the http/https URL of a .torrent (through the session's interface or proxy, as its
/// trackers; never from an unspecified, broadcast, multicast or link-local address), or, for the remote-control APIs
/// only, a .torrent file on the server.</summary>
internal static class RemoteLinks
{
    private static readonly TimeSpan MagnetLimit = TimeSpan.FromSeconds(90); // peers found and metadata fetched within this
    private static readonly TimeSpan UrlLimit = TimeSpan.FromSeconds(30); // a .torrent fetched within this

    /// <summary>The info hash a magnet link names (to find a duplicate before fetching anything), else null.</summary>
    public static string? MagnetHash(string link)
    {
        if (!TorrentClient.IsMagnet(link)) return null;
        try { return MagnetLink.Parse(link).InfoHash.Hex; }
        catch (TorrentLabException e) { throw new WebApiException(400, $"not a valid magnet link: {e.Message}", e); }
    }

    /// <summary>The .torrent bytes a link leads to, with the peers a magnet link named. With
    /// <paramref name="serverPaths"/> (the remote-control APIs, whose clients add by path), a link that is neither a
    /// magnet link nor an http/https URL names a .torrent file on the server; otherwise it is refused.</summary>
    /// <exception cref="WebApiException">400 a bad or refused link, 404 no such file, 413 too large, 502 no answer in time.</exception>
    public static async Task<(byte[] Bytes, IReadOnlyList<IPEndPoint> Peers)> FetchAsync(TorrentManager torrents, WebServerOptions options, string link,
        CancellationToken ct, bool serverPaths = true)
    {
        link = link.Trim();
        if (link.Length == 0) throw new WebApiException(400, "no link: give a magnet link, an http/https URL or a .torrent path");
        if (link.Any(char.IsControl)) throw new WebApiException(400, "the link holds a control character (NUL, newline...)");
        if (serverPaths && !TorrentClient.IsMagnet(link) && !link.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            && !link.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return (await TorrentUpload.ReadPathAsync(link, options.MaxTorrentBytes, ct).ConfigureAwait(false), []);
        try
        {
            if (!TorrentClient.IsMagnet(link))
                return (await torrents.Session.FetchAsync(link, options.MaxTorrentBytes, UrlLimit, ct).ConfigureAwait(false), []);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(MagnetLimit);
            try
            {
                var magnet = await torrents.FetchMagnetAsync(link, limit.Token).ConfigureAwait(false);
                return (magnet.File, magnet.Peers);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new WebApiException(502, $"no peer gave the magnet link's metadata within {MagnetLimit.TotalSeconds:0} s");
            }
        }
        catch (TorrentUrlException e)
        {
            throw new WebApiException(e.Refused ? 400 : e.Message.Contains("larger than the limit", StringComparison.Ordinal) ? 413 : 502, e.Message, e);
        }
        catch (TorrentLabException e) when (e is not (WebApiException or Bencode.BencodeException or Metainfo.MetainfoException))
        {
            var (kind, message) = Failure.Describe(e);
            throw new WebApiException(kind == FailureKind.BadInput ? 400 : 502, message.StartsWith("error: ", StringComparison.Ordinal) ? message[7..] : message, e);
        }
    }
}
