namespace TorrentLab.Wire;

/// <summary>A peer connection that failed: the peer broke the peer wire protocol (BEP 3), or the connection itself
/// failed (refused, timed out, closed). Either way the connection is closed.</summary>
public sealed class WireException : TorrentLabException
{
    public WireException(string message, Exception? inner = null, bool isViolation = true) : base(message, inner) =>
        IsViolation = isViolation;

    /// <summary>True when the peer broke the protocol (a bad peer to drop or ban); false when the connection merely
    /// failed (refused, timed out, closed), which says nothing bad about the peer.</summary>
    public bool IsViolation { get; }
}
