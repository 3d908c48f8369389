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

    /// <summary>The message without its leading <c>peer ADDRESS: </c>, for a line that names the peer already.</summary>
    public string Reason => WithoutPeer(Message);

    /// <summary>Drops one leading <c>peer ADDRESS: </c> (an address has no spaces, IPv6 ones are bracketed).</summary>
    public static string WithoutPeer(string message)
    {
        if (!message.StartsWith("peer ", StringComparison.Ordinal)) return message;
        var end = message.IndexOf(": ", 5, StringComparison.Ordinal);
        return end > 5 && message.AsSpan(5, end - 5).IndexOf(' ') < 0 ? message[(end + 2)..] : message;
    }
}
