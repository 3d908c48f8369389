namespace TorrentLab.Storage;

/// <summary>A failure to read or write the downloaded files or the resume ledger.</summary>
public class StorageException : TorrentLabException
{
    public StorageException(string message, bool isOutOfSpace = false, Exception? inner = null)
        : base(message, inner) => IsOutOfSpace = isOutOfSpace;

    /// <summary>True when the disk is full (ENOSPC): the user can free space and resume.</summary>
    public bool IsOutOfSpace { get; }
}

/// <summary>A file is in the way of a download: it exists where the torrent puts one of its files, the torrent did not
/// write it, and its bytes are not this torrent's data. Nothing was changed; the user moves it away or overwrites.</summary>
public sealed class ForeignFileException(string path)
    : StorageException($"'{path}' exists and is not this torrent's data; move it away or pass --overwrite")
{
    /// <summary>The file, as the torrent names it below the output folder.</summary>
    public string Path { get; } = path;
}
