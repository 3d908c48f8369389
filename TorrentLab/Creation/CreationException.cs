namespace TorrentLab.Creation;

/// <summary>The input cannot be made into a torrent: a link leaving the input folder, a special file, no data,
/// or a file that changed while it was being hashed. Names the path at fault.</summary>
public sealed class CreationException : TorrentLabException
{
    public CreationException(string message, string? path = null, Exception? inner = null)
        : base(path is null ? message : $"{path}: {message}", inner) => Path = path;

    /// <summary>The file or folder the problem is about, as the user gave it or below it; null for the input as a whole.</summary>
    public string? Path { get; }
}
