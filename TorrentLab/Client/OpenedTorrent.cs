using System.Net;
using TorrentLab.Metainfo;

namespace TorrentLab.Client;

/// <summary>A torrent ready to download, and the peers its source named (a magnet link's <c>x.pe</c>; none for a file).</summary>
/// <param name="Torrent">The torrent (for a magnet link, built from the verified metadata).</param>
/// <param name="Peers">The link's <c>x.pe</c> peers, to try first.</param>
/// <param name="Selection">The files a magnet link's <c>so</c> selects (BEP 53), one priority per file; null for every
/// file (and for a .torrent file).</param>
public sealed record OpenedTorrent(Torrent Torrent, IReadOnlyList<IPEndPoint> Peers, IReadOnlyList<Pieces.FilePriority>? Selection = null);
