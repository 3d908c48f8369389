namespace TorrentLab.Tracker;

/// <summary>A tracker's counts for one torrent (BEP 48 over HTTP, BEP 15 over UDP).</summary>
/// <param name="Seeders">Peers with the whole torrent (<c>complete</c>).</param>
/// <param name="Leechers">Peers still downloading (<c>incomplete</c>).</param>
/// <param name="Completed">Times the tracker saw a download finish (<c>downloaded</c>).</param>
/// <param name="Downloaders">BEP 21: of the <paramref name="Leechers"/>, those still downloading (the rest are partial
/// seeds); null when the tracker does not say (HTTP <c>downloaders</c>; BEP 15 has no field for it).</param>
public sealed record ScrapeResult(int Seeders, int Leechers, int Completed, int? Downloaders = null);
