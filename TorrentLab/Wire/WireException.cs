namespace TorrentLab.Wire;

/// <summary>A peer that broke the peer wire protocol (BEP 3); the connection to it is closed.</summary>
public sealed class WireException : TorrentLabException
{
    public WireException(string message, Exception? inner = null) : base(message, inner) { }
}
