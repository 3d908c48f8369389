namespace TorrentLab.Utp;

/// <summary>A uTP failure (BEP 29): a datagram that breaks the packet format, or a connection that was reset, timed out
/// or refused.</summary>
public sealed class UtpException : TorrentLabException
{
    public UtpException(string message, Exception? inner = null) : base(message, inner) { }
}
