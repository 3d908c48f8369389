namespace TorrentLab.Web;

/// <summary>A file of the watch folder that will never be a torrent as it is: not a regular file, or larger than the
/// limit. The watch folder renames it <c>NAME.invalid</c>.</summary>
internal sealed class WatchedFileException(string message) : Exception(message);
