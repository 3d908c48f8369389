namespace TorrentLab.Dht;

/// <summary>A DHT failure: a malformed KRPC datagram, a node that answered with a KRPC error, or a query that timed out.</summary>
public sealed class DhtException : TorrentLabException
{
    public DhtException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The KRPC error code when the remote node answered with an error (BEP 5: 201 to 204); else null.</summary>
    public int? ErrorCode { get; init; }
}
