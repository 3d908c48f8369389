namespace TorrentLab;

/// <summary>The base of every error a TorrentLab layer reports about bad input, a bad peer or a bad tracker.</summary>
/// <remarks>Each layer has its own subclass (<c>BencodeException</c>, <c>MetainfoException</c>, ...), so a caller can
/// tell a malformed torrent from a broken tracker; caller misuse is <see cref="InvalidOperationException"/> instead.</remarks>
public abstract class TorrentLabException : Exception
{
    protected TorrentLabException(string message, Exception? inner = null) : base(message, inner) { }
}
