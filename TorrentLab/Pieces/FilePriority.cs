namespace TorrentLab.Pieces;

/// <summary>How much a file is wanted: skipped files are not downloaded (beyond pieces shared with wanted files), and
/// pieces of higher priority files are started first (the four levels of Transmission and qBittorrent).</summary>
public enum FilePriority
{
    /// <summary>Not downloaded; its file is not created unless a piece it shares with a wanted file has to be written.</summary>
    Skip = 0,
    Low = 1,
    Normal = 2,
    High = 3,
}
