using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// What a peer asks of us besides blocks (BEP 52 hashes, BEP 9 metadata) is answered through one bounded queue entry.
internal sealed partial class SwarmPeer
{
    /// <summary>Queues the answer to one of the peer's requests, unless our earlier messages still wait unsent: each
    /// answer may be 16 KiB, so a peer that asks without reading must not grow our queue without bound.</summary>
    /// <exception cref="PeerViolation">The peer keeps asking while <see cref="MaxUnsentAnswers"/> messages wait (a flood).</exception>
    private void EnqueueAnswer(PeerMessage answer, string asked)
    {
        int queued;
        lock (_sendLock) queued = _control.Count;
        if (queued >= MaxUnsentAnswers) throw new PeerViolation($"sent {asked} requests while {queued} of our messages were still unsent (flood)");
        Enqueue(answer);
    }
}
