namespace TorrentLab.Magnet;

/// <summary>The metadata of a magnet link could not be obtained from any peer (BEP 9); the message says what each
/// peer did.</summary>
public sealed class MetadataException : TorrentLabException
{
    public MetadataException(string message, Exception? inner = null) : base(message, inner) { }
}
