using System.Net;
using TorrentLab.Metainfo;

namespace TorrentLab.Client;

/// <summary>A torrent ready to download, and the peers its source named (a magnet link's <c>x.pe</c>; none for a file).</summary>
/// <param name="Torrent">The torrent (for a magnet link, built from the verified metadata).</param>
/// <param name="Peers">The link's <c>x.pe</c> peers, to try first.</param>
/// <param name="Selection">The files a magnet link's <c>so</c> selects (BEP 53), one priority per file; null for every
/// file (and for a .torrent file).</param>
public sealed record OpenedTorrent(Torrent Torrent, IReadOnlyList<IPEndPoint> Peers, IReadOnlyList<Pieces.FilePriority>? Selection = null)
{
    /// <summary><paramref name="options"/> with what the source named: its peers after the caller's
    /// <see cref="Downloads.DownloadOptions.ExtraPeers"/>, and its selection unless the caller chose file priorities.</summary>
    internal Downloads.DownloadOptions WithPeersAndSelection(Downloads.DownloadOptions options) => Peers.Count == 0 && Selection is null
        ? options
        : options with
        {
            ExtraPeers = [.. options.ExtraPeers, .. Peers.Where(p => !options.ExtraPeers.Contains(p))],
            FilePriorities = options.FilePriorities ?? Selection,
        };
}
