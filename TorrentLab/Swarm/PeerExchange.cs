using TorrentLab.Downloads;
using TorrentLab.Extensions;

namespace TorrentLab.Swarm;

/// <summary>Peer exchange (BEP 11), the swarm's part of it: every connection that speaks ut_pex hears about the others'
/// listen addresses as they come and go, and the addresses it tells us go into the peer book like a tracker's.</summary>
/// <remarks>The rules of one exchange (its pace, its limits) are <see cref="PexState"/>'s; this part says whom to tell
/// about whom.</remarks>
internal sealed class PeerExchange
{
    /// <summary>How often the timer asks each connection whether a PEX message is due; <see cref="PexState"/> itself
    /// keeps BEP 11's pace of one message a minute, so this only bounds how late the first one goes out.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private readonly TorrentSwarm _swarm;
    private readonly Holepunching _holepunch;
    private readonly Lock _pexLock = new();

    public PeerExchange(TorrentSwarm swarm, Holepunching holepunch)
    {
        _swarm = swarm;
        _holepunch = holepunch;
    }

    /// <summary>A connection's listen address became known: the others announce it in their next message.</summary>
    public void PeerKnown(SwarmPeer peer)
    {
        var joined = new PexPeer(peer.ListenEndPoint!, PexFlagsOf(peer));
        lock (_pexLock)
            foreach (var other in _swarm.PeersSnapshot())
                if (other != peer) other.Pex?.PeerConnected(joined);
    }

    /// <summary>A connection negotiated ut_pex: its state starts with every peer we are connected to (its first message).</summary>
    public void Ready(SwarmPeer peer, PexState state)
    {
        lock (_pexLock)
        {
            foreach (var other in _swarm.PeersSnapshot())
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
    public void PeerLeft(SwarmPeer peer)
    {
        if (peer.ListenEndPoint is not { } endpoint) return;
        lock (_pexLock)
            foreach (var other in _swarm.PeersSnapshot())
                other.Pex?.PeerDropped(endpoint);
    }

    /// <summary>Addresses a peer told us with ut_pex: dialled like a tracker's, within the connection limit (only while
    /// downloading: a seeder dials the peers its trackers and the command line name, and leaves PEX to those who need it).</summary>
    public void Learned(SwarmPeer from, IReadOnlyList<PexPeer> peers)
    {
        if (peers.Count == 0 || !_swarm.Downloading) return;
        _holepunch.RememberIntroducer(from, peers);   // BEP 55: whom to ask for a rendezvous if a dial fails
        var added = _swarm.AddPeers(peers.Select(p => p.EndPoint), PeerSource.Pex);
        _swarm.Log($"{from}: ut_pex named {peers.Count} peer(s), {added} new");
    }

    /// <summary>From the timer: sends each connection its PEX message when one is due.</summary>
    public void SendDue()
    {
        if (_swarm.Torrent.IsPrivate) return; // BEP 27
        foreach (var peer in _swarm.PeersSnapshot())
        {
            if (!peer.TrySendPex(out var message)) continue;
            _swarm.Log($"{peer}: sent {message}");
        }
    }
}
