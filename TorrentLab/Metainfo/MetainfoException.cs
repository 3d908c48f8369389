namespace TorrentLab.Metainfo;

/// <summary>A .torrent file that is well-formed bencode but not valid metainfo, naming the key path at fault.</summary>
public sealed class MetainfoException : TorrentLabException
{
    public MetainfoException(string message, string? keyPath = null, Exception? inner = null)
        : base(keyPath is null ? message : $"{keyPath}: {message}", inner) => KeyPath = keyPath;

    /// <summary>Where in the file the problem is, e.g. <c>info.files[3].path</c>; null for the file as a whole.</summary>
    public string? KeyPath { get; }
}
