using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Web;

/// <summary>The client whose state folder is imported.</summary>
public enum ClientKind
{
    /// <summary>qBittorrent 4.x: its <c>BT_backup</c> folder of <c>HASH.torrent</c> and <c>HASH.fastresume</c> pairs.</summary>
    QBittorrent,

    /// <summary>Transmission 2.x-4.x: its config folder with <c>torrents/</c> and <c>resume/</c>.</summary>
    Transmission,
}

/// <summary>One torrent as another client's state folder describes it.</summary>
/// <param name="Torrent">The torrent.</param>
/// <param name="Bytes">Its .torrent file as the client kept it.</param>
/// <param name="SavePath">The folder its file or top folder is in, absolute.</param>
public sealed record ImportedTorrent(Torrent Torrent, byte[] Bytes, string SavePath)
{
    /// <summary>Its category (qBittorrent's category, Transmission's first label), or null.</summary>
    public string? Category { get; init; }

    /// <summary>Its tags (qBittorrent's tags, Transmission's other labels).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>True when the user had stopped it.</summary>
    public bool Paused { get; init; }

    /// <summary>One priority per file; null when every file is wanted at normal priority.</summary>
    public IReadOnlyList<FilePriority>? Priorities { get; init; }

    /// <summary>When it was added to the other client.</summary>
    public DateTimeOffset AddedAt { get; init; }

    /// <summary>The pieces the client said it had; null when its resume data does not say.</summary>
    public Bitfield? Have { get; init; }

    /// <summary>Its own limits in bytes per second; null when unlimited.</summary>
    public long? DownloadLimit { get; init; }
    public long? UploadLimit { get; init; }

    /// <summary>Payload bytes it had uploaded (for the ratio).</summary>
    public long Uploaded { get; init; }
}

/// <summary>A state folder, or a file in it, that cannot be read as the client's: the message says which and why.</summary>
public sealed class ImportException(string message, bool notFound = false) : TorrentLabException(message)
{
    /// <summary>True when the folder does not exist (not: exists but is not that client's).</summary>
    public bool NotFound { get; } = notFound;
}
