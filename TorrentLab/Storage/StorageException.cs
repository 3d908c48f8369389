namespace TorrentLab.Storage;

/// <summary>A failure to read or write the downloaded files or the resume ledger.</summary>
public sealed class StorageException : TorrentLabException
{
    public StorageException(string message, bool isOutOfSpace = false, Exception? inner = null)
        : base(message, inner) => IsOutOfSpace = isOutOfSpace;

    /// <summary>True when the disk is full (ENOSPC): the user can free space and resume.</summary>
    public bool IsOutOfSpace { get; }
}
