using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;

namespace TorrentLab.Client;

/// <summary>A magnet link's torrent: the .torrent file built from the fetched metadata, and the link's own peers.</summary>
/// <param name="File">The bencoded .torrent (the verified info dictionary, the link's trackers).</param>
/// <param name="Torrent">The same, parsed.</param>
/// <param name="Peers">The link's <c>x.pe</c> peers, to try first.</param>
public sealed record MagnetTorrent(byte[] File, Torrent Torrent, IReadOnlyList<IPEndPoint> Peers);

public static partial class TorrentClient
{
    /// <summary>Fetches a magnet link's metadata from peers (BEP 9), found as <paramref name="options"/> say (its
    /// <c>x.pe</c> peers, its trackers, the DHT), and builds its .torrent.</summary>
    /// <exception cref="MagnetException">Not a valid magnet link.</exception>
    /// <exception cref="MetadataException">No peer gave metadata matching the info hash.</exception>
    public static async Task<MagnetTorrent> FetchMagnetAsync(string magnet, DownloadOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var link = MagnetLink.Parse(magnet);
        var ourId = Wire.PeerId.CreateOurs();
        var peers = await MagnetPeers.FindAsync(link, ourId, 6881, options, ct).ConfigureAwait(false);
        var raw = await MetadataFetcher.FetchAsync(link, ourId, peers, new MetadataFetchOptions { Log = options.Log }, ct).ConfigureAwait(false);
        var file = MagnetTorrentFile.Build(link, raw);
        return new MagnetTorrent(file, Torrent.Parse(file), link.Peers);
    }

    /// <summary>Fetches a .torrent file over HTTP or HTTPS: at most <paramref name="maxBytes"/>, within 30 s, never from
    /// an unspecified, broadcast, multicast or link-local address (checked after DNS and after each redirect).</summary>
    /// <exception cref="TorrentUrlException">Refused, unreachable, not 200, or too large.</exception>
    public static Task<byte[]> FetchTorrentFileAsync(string url, long maxBytes, CancellationToken ct = default) =>
        TorrentUrl.FetchAsync(url, maxBytes, TimeSpan.FromSeconds(30), ct);
}
