using TorrentLab.Downloads;
using TorrentLab.Extensions;

namespace TorrentLab.Swarm;

// Peer exchange (BEP 11) across the session: every connection that speaks ut_pex hears about the others' listen
// addresses as they come and go, and the addresses it tells us go into the peer book like a tracker's.
internal sealed partial class TorrentSwarm
{
    /// <summary>How often the timer asks each connection whether a PEX message is due; <see cref="PexState"/> itself
    /// keeps BEP 11's pace of one message a minute, so this only bounds how late the first one goes out.</summary>
    private static readonly TimeSpan PexCheckInterval = TimeSpan.FromSeconds(2);

    private readonly Lock _pexLock = new();
    private MetadataServer? _metadata;

    /// <summary>Serves the info dictionary to peers that ask with ut_metadata (BEP 9): magnet clients can fetch it from us.</summary>
    public MetadataServer Metadata => _metadata ??= new MetadataServer(Torrent);

    /// <summary>A connection's listen address became known: the others announce it in their next message.</summary>
    private void OnPexPeerKnown(SwarmPeer peer)
    {
        var joined = new PexPeer(peer.ListenEndPoint!, PexFlagsOf(peer));
        lock (_pexLock)
            foreach (var other in PeersSnapshot())
                if (other != peer) other.Pex?.PeerConnected(joined);
    }

    /// <summary>A connection negotiated ut_pex: its state starts with every peer we are connected to (its first message).</summary>
    public void OnPexReady(SwarmPeer peer, PexState state)
    {
        lock (_pexLock)
        {
            foreach (var other in PeersSnapshot())
                if (other != peer && other.ListenEndPoint is { } endpoint)
                    state.PeerConnected(new PexPeer(endpoint, PexFlagsOf(other)));
            peer.AttachPex(state);
        }
    }

    /// <summary>What PEX says of a connected peer, as libtorrent does: reachable when we dialled it, and BEP 11's
    /// "supports uTP" (0x04) when the connection runs over uTP (its listen port takes uTP on the same number), and
    /// "supports ut_holepunch" (0x08) when its extension handshake offered it.</summary>
    private static PexFlags PexFlagsOf(SwarmPeer peer) =>
        (peer.Outgoing ? PexFlags.Reachable : PexFlags.None) | (peer.Connection.Transport == "utp" ? PexFlags.SupportsUtp : PexFlags.None)
        | (peer.SupportsHolepunch ? PexFlags.SupportsHolepunch : PexFlags.None);   // BEP 11's 0x08: it offered ut_holepunch (BEP 55)

    /// <summary>A connection ended: the others announce its address as dropped (if they announced it as added).</summary>
    private void OnPexPeerLeft(SwarmPeer peer)
    {
        if (peer.ListenEndPoint is not { } endpoint) return;
        lock (_pexLock)
            foreach (var other in PeersSnapshot())
                other.Pex?.PeerDropped(endpoint);
    }

    /// <summary>Addresses a peer told us with ut_pex: dialled like a tracker's, within the connection limit (only while
    /// downloading: a seeder dials the peers its trackers and the command line name, and leaves PEX to those who need it).</summary>
    public void OnPexLearned(SwarmPeer from, IReadOnlyList<PexPeer> peers)
    {
        if (peers.Count == 0 || !Downloading) return;
        RememberIntroducer(from, peers);   // BEP 55: whom to ask for a rendezvous if a dial fails
        var added = _book.Add(peers.Select(p => p.EndPoint), PeerSource.Pex);
        _log?.Invoke($"{from}: ut_pex named {peers.Count} peer(s), {added} new");
        if (added > 0) WakeDialer();
    }

    /// <summary>From the timer: sends each connection its PEX message when one is due.</summary>
    private void SendPexMessages()
    {
        if (Torrent.IsPrivate) return; // BEP 27
        foreach (var peer in PeersSnapshot())
        {
            if (!peer.TrySendPex(out var message)) continue;
            _log?.Invoke($"{peer}: sent {message}");
        }
    }
}
