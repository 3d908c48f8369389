using System.Net;

namespace TorrentLab.Downloads;

/// <summary>What the engine reports about one torrent as it happens, as typed events beside its log lines: the
/// session's torrent handle builds its alerts on them (<c>Client/TorrentHandle.Alerts.cs</c>), so the wording of a
/// log line can change without changing what a program is told.</summary>
/// <remarks>Called on the engine's own tasks (an announce loop, a peer's receive loop), never under a lock of the
/// engine's: an implementation must be quick and must not call back into the torrent.</remarks>
internal interface ITorrentEvents
{
    /// <summary>A tracker answered an announce (<c>Swarm/Announcer.cs</c>).</summary>
    /// <param name="url">The tracker that answered.</param>
    /// <param name="peers">How many peers it gave.</param>
    /// <param name="interval">When it wants the next announce.</param>
    /// <param name="warning">Its <c>warning message</c>, if any (BEP 3, untrusted text).</param>
    void TrackerAnswered(string url, int peers, TimeSpan interval, string? warning);

    /// <summary>An announce failed: no tracker of any tier answered, or the <c>stopped</c> announce failed.</summary>
    /// <param name="url">The last tracker asked, or null when none was.</param>
    /// <param name="error">Why (untrusted text from the tracker or the network).</param>
    /// <param name="failureReason">The tracker's own <c>failure reason</c> when it answered with one (BEP 3); null when
    /// it could not be reached.</param>
    void TrackerFailed(string? url, string error, string? failureReason);

    /// <summary>A peer was tried and this came of it: refused before a dial (the blocklist), a dial or handshake that
    /// failed, a connection not taken, or a connection that ended (<c>Swarm/TorrentSwarm.Peers.cs</c>, <c>Dialler.cs</c>).</summary>
    void PeerTried(IPEndPoint peer, FindingKind kind, string reason);

    /// <summary>Our port was reached from outside: <paramref name="by"/> connected to us (<paramref name="seenAs"/>
    /// null), or said it sees us at <paramref name="seenAs"/> (BEP 10 <c>yourip</c>).</summary>
    void Reached(IPEndPoint by, IPAddress? seenAs);

    /// <summary>A DHT lookup for the torrent ended (BEP 5): how many new peers it found, or why it failed.</summary>
    void DhtLookedUp(int found, string? error);

    /// <summary>A peer was banned for the session: it sent data failing a hash check, or broke the protocol
    /// (<c>Swarm/TorrentSwarm.Peers.cs</c>, <c>Ban</c>).</summary>
    void PeerBanned(IPEndPoint peer, string reason);

    /// <summary>Every wanted piece is verified and recorded in the ledger (before any seeding): what the download did.
    /// A run that had everything at its start tells so too (nothing downloaded).</summary>
    void Downloaded(DownloadResult result);
}
