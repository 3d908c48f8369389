namespace TorrentLab.PortMapping;

/// <summary>A router refused a mapping, answered out of shape, or could not be reached; the message says which in one
/// line (the session logs it and goes on).</summary>
internal sealed class PortMappingException(string message, Exception? inner = null) : TorrentLabException(message, inner)
{
    /// <summary>The router will not do it however often asked (refused, not authorized, unsupported): the next try
    /// waits for the next round, not a quick retry.</summary>
    public bool Refused { get; init; }
}
