namespace TorrentLab.Magnet;

/// <summary>The metadata of a magnet link could not be obtained from any peer (BEP 9); the message says what each
/// peer did.</summary>
public sealed class MetadataException : TorrentLabException
{
    public MetadataException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>True when waiting cannot help: the link names nobody to ask (no tracker, no peer, and the DHT is off or
    /// has no node to start from). Otherwise peers may come later, and a caller may ask again.</summary>
    public bool Final { get; init; }
}
