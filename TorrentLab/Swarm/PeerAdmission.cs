using TorrentLab.Downloads;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>Who may join a swarm's peers: the peer cap, the idle peer a full swarm drops for a newcomer, and which of
/// two connections to one peer stays.</summary>
internal sealed class PeerAdmission
{
    private readonly DownloadOptions _options;
    private readonly PeerId _ours;

    public PeerAdmission(DownloadOptions options, PeerId ours)
    {
        _options = options;
        _ours = ours;
    }

    private int _maxPeers = -1; // the peer cap: the options' until the torrent's handle changes it

    /// <summary>Most peers connected at once: <see cref="DownloadOptions.MaxPeers"/>, or as changed since.</summary>
    public int MaxPeers
    {
        get => Volatile.Read(ref _maxPeers) is var cap and > 0 ? cap : _options.MaxPeers;
        set => Volatile.Write(ref _maxPeers, value);
    }

    /// <summary>True when <paramref name="peer"/>, a second connection with <paramref name="existing"/>'s peer id,
    /// replaces it.</summary>
    /// <remarks>A peer id is no proof of identity (anyone who handshook with a peer has learned its id), so a second
    /// connection never replaces an established one (data flowed, or it spoke for longer than both sides dialling at
    /// once takes): an impostor cannot cut a live connection. Both sides dialling each other at once (same address,
    /// neither spoke yet) is resolved the same way on both ends without talking: each keeps the connection opened by
    /// the side with the smaller peer id (else both would refuse the second and neither would trade).</remarks>
    public bool Replaces(SwarmPeer existing, SwarmPeer peer) =>
        existing.Outgoing != peer.Outgoing && KeepNew(peer.Outgoing, peer.Connection.RemotePeerId) && !Established(existing)
        && SameHost(existing.Connection.RemoteEndPoint.Address, peer.Connection.RemoteEndPoint.Address);

    /// <summary>The peer a full swarm drops to make room for a newcomer: the one least useful for longest, one that has neither given
    /// nor taken a block for <see cref="Downloads.DownloadOptions.IdlePeerGrace"/> (and is at least that old). Otherwise connections that only send keep-alives would fill every slot for good, and every honest
    /// peer after them would be refused. Null when every peer is in use or new.</summary>
    /// <remarks>Per address: a newcomer may take the place only of a peer whose address holds more of our connections
    /// than its own does. So an address never grows its share of a full swarm, and clients from one address cannot
    /// take turns evicting each other to keep every slot young (each reconnecting as soon as it is dropped kept the
    /// honest peer out for good); a peer from an address with fewer connections always finds room.</remarks>
    public SwarmPeer? RoomFor(IReadOnlyList<SwarmPeer> peers, SwarmPeer newcomer)
    {
        var grace = _options.IdlePeerGrace;
        var perAddress = peers.GroupBy(p => TorrentSwarm.Host(p.Connection.RemoteEndPoint.Address)).ToDictionary(g => g.Key, g => g.Count());
        var theirs = perAddress.GetValueOrDefault(TorrentSwarm.Host(newcomer.Connection.RemoteEndPoint.Address));
        int Crowd(SwarmPeer p) => perAddress[TorrentSwarm.Host(p.Connection.RemoteEndPoint.Address)];
        // Least useful first: a peer that ignored an unchoke or wants nothing from us, before one waiting for a slot;
        // then one from the most crowded address; then the one idle longest.
        return peers.Where(p => p.Age >= grace && p.IdleFor >= grace && Crowd(p) > theirs)
            .OrderBy(p => p.IgnoredUnchoke(Choking.IgnoredUnchokeAfter) || !p.Connection.PeerInterested ? 0 : 1)
            .ThenByDescending(Crowd).ThenByDescending(p => p.IdleFor).FirstOrDefault();
    }

    private static bool SameHost(System.Net.IPAddress a, System.Net.IPAddress b) =>
        (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(b.IsIPv4MappedToIPv6 ? b.MapToIPv4() : b);

    private static bool Established(SwarmPeer peer) => Established(peer.Spoke, peer.Down.Total + peer.Up.Total, peer.Age);

    /// <summary>How long a connection that only spoke (no payload yet) still yields to the one both sides keep when they
    /// dialled each other at once. A seeder says its bitfield at once, so on one side "it spoke" came before the
    /// other dial's handshake and on the other it did not: each side kept a different connection and closed the
    /// other's, and both were lost (a holepunch, where both sides dial at once by design, failed so in CI).</summary>
    private static readonly TimeSpan SimultaneousOpenWindow = TimeSpan.FromSeconds(10);

    /// <summary>A connection a second one never replaces: payload flowed on it, or it spoke and is older than
    /// <see cref="SimultaneousOpenWindow"/>.</summary>
    public static bool Established(bool spoke, long payloadBytes, TimeSpan age) =>
        payloadBytes > 0 || (spoke && age > SimultaneousOpenWindow);

    /// <summary>True when the new connection was opened by the side with the smaller peer id (the one both keep).</summary>
    private bool KeepNew(bool newIsOutgoing, PeerId theirs)
    {
        var ours = _ours;
        var newInitiator = newIsOutgoing ? ours : theirs;
        var oldInitiator = newIsOutgoing ? theirs : ours;
        return newInitiator.Bytes.SequenceCompareTo(oldInitiator.Bytes) < 0;
    }
}
