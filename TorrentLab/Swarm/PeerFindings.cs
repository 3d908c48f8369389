using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>What came of a peer tried, in the words of a torrent's diagnosis (<see cref="FindingKind"/>, issue 81): a
/// dial or handshake that failed, or a connection that ended.</summary>
internal static class PeerFindings
{
    /// <summary>The kind of a dial that failed, from the wire layer's words (its exceptions carry no code): a connect
    /// that never opened, an encrypted handshake (MSE/PE) that failed, or another handshake failure.</summary>
    public static FindingKind DialFailure(string reason) =>
        reason.Contains("encrypt", StringComparison.OrdinalIgnoreCase) || reason.Contains("MSE", StringComparison.Ordinal) ? FindingKind.Encryption
        : reason.StartsWith("cannot connect", StringComparison.Ordinal) || reason.StartsWith("no TCP connection", StringComparison.Ordinal)
          || reason.StartsWith("no uTP connection", StringComparison.Ordinal) ? FindingKind.PeerUnreachable
        : FindingKind.HandshakeFailed;

    /// <summary>What came of a connection that ended: banned, useful, kept choking us while we wanted its pieces
    /// (<paramref name="downloading"/>), had nothing we want, or ended for the reason given.</summary>
    public static (FindingKind Kind, string Reason) EndOf(SwarmPeer peer, string reason, bool violation, bool downloading)
    {
        if (violation) return (FindingKind.Banned, $"banned: {reason}");
        if (peer.Delivered) return (FindingKind.Ok, $"sent {peer.Down.Total} bytes, then: {reason}");
        if (downloading && peer.Connection.AmInterested && peer.Connection.PeerChoking) return (FindingKind.ChokedUs, $"choked us while we wanted its pieces, then: {reason}");
        if (downloading && !peer.Connection.AmInterested && peer.Spoke) return (FindingKind.NothingWeWant, $"has nothing we want, then: {reason}");
        return (FindingKind.Disconnected, reason);
    }
}
