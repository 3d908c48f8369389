namespace TorrentLab.Tracker;

/// <summary>A blocklist that cannot be used: not one of the formats (no line was a range), or damaged gzip.</summary>
public sealed class BlocklistException(string message, Exception? inner = null) : TorrentLabException(message, inner);
