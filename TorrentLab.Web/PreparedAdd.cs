using TorrentLab.Metainfo;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>A torrent checked for an add, its place in the save folder reserved (<see cref="TorrentManager.PrepareAddAsync"/>),
/// to be committed or abandoned.</summary>
/// <param name="Torrent">The torrent.</param>
/// <param name="Bytes">Its .torrent file, kept when it is committed.</param>
/// <param name="SaveFolder">Its save folder, relative to the downloads folder.</param>
/// <param name="Known">The pieces and priorities its files' check recorded; null when its files were not checked.</param>
internal sealed record PreparedAdd(Torrent Torrent, byte[] Bytes, string SaveFolder,
    (PieceStates Pieces, IReadOnlyList<Pieces.FilePriority>? Priorities)? Known);
