namespace TorrentLab.Lsd;

/// <summary>A malformed local service discovery datagram (BEP 14): not a BT-SEARCH, a header out of shape, too long.</summary>
public sealed class LsdException : TorrentLabException
{
    public LsdException(string message) : base(message) { }

    /// <summary>The byte of the datagram where the problem was found.</summary>
    public int Offset { get; init; }
}
