using System.Net.Sockets;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>Tells a peer that broke the protocol (banned) from a connection that merely ended (may be redialled).</summary>
/// <remarks>The wire layer reports both as a <see cref="WireException"/>; losses are the ones caused by the socket
/// (an inner <see cref="SocketException"/>), the peer hanging up, our own close, or silence past a time limit.
/// Everything else (a bad frame, an out-of-range index, a foreign info hash) is a violation.</remarks>
internal static class PeerFailure
{
    private static readonly string[] LossPhrases =
    [
        "the peer closed the connection", "connection lost", "the connection was closed locally", "idle timeout",
        "send failed", "cannot connect", "no TCP connection within", "no complete handshake within",
        "the connection was lost before the handshake",
    ];

    /// <summary>True when the peer did something the protocol forbids (as opposed to the connection just ending).</summary>
    public static bool IsViolation(WireException e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is SocketException or ObjectDisposedException) return false;
        foreach (var phrase in LossPhrases)
            if (e.Message.Contains(phrase, StringComparison.Ordinal)) return false;
        return true;
    }
}
