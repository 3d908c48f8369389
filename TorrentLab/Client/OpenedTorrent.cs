using System.Net;
using TorrentLab.Metainfo;

namespace TorrentLab.Client;

/// <summary>A torrent ready to download, and the peers its source named (a magnet link's <c>x.pe</c>; none for a file).</summary>
public sealed record OpenedTorrent(Torrent Torrent, IReadOnlyList<IPEndPoint> Peers);
