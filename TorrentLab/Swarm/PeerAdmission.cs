using TorrentLab.Downloads;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>A swarm's connected peers and who may join them: the peer cap, the idle peer a full swarm drops for a
/// newcomer, and which of two connections to one peer stays.</summary>
internal sealed class PeerAdmission
{
    private readonly TorrentSwarm _swarm;
    private readonly DownloadOptions _options;
    private readonly PeerId _ours;
    private readonly Lock _lock = new();
    private readonly List<SwarmPeer> _peers = [];
    private SwarmPeer[]? _snapshot; // _peers as an array, made again after the list changed

    /// <param name="swarm">The swarm whose peers these are.</param>
    /// <param name="options">The torrent's peer cap and idle grace.</param>
    /// <param name="rules">The clients refused at their handshake, and each peer's claimed progress.</param>
    public PeerAdmission(TorrentSwarm swarm, DownloadOptions options, PeerRules rules)
    {
        _swarm = swarm;
        _options = options;
        _ours = swarm.Session.PeerId;
        Rules = rules;
    }

    /// <summary>Which peers the swarm will not serve (<see cref="PeerRules"/>): a banned client is refused here, at its
    /// handshake, before any message.</summary>
    public PeerRules Rules { get; }

    /// <summary>Why a handshaken connection was not taken; <paramref name="CountsAsFailure"/>: its address is backed
    /// off as a failed dial; <paramref name="Self"/>: it was us.</summary>
    public readonly record struct Refusal(string Reason, bool CountsAsFailure, bool Self = false);

    public int Count { get { lock (_lock) return _peers.Count; } }

    /// <summary>The peers now, as an array no one may write to: one array until the list changes, not a copy a call
    /// (the swarm takes one for every interest change and verified piece; a 1,000-peer simulation took millions).</summary>
    public SwarmPeer[] Snapshot() { lock (_lock) return _snapshot ??= [.. _peers]; }

    /// <summary>Takes a peer into the list (refusing duplicates and overflow, or making room for it); null when taken.</summary>
    public Refusal? TryAdd(SwarmPeer peer)
    {
        var id = peer.Connection.RemotePeerId;
        var session = _swarm.Session;
        if (Rules.RefusesId(id) is { } banned)
        {
            _swarm.Ban(peer.Connection.RemoteEndPoint, id, banned); // not dialled again while the swarm runs
            return new Refusal(banned, true);
        }
        lock (_lock)
        {
            if (_swarm.IsStopping) return new Refusal("shutting down", false);
            if (_peers.Count >= MaxPeers && !MakeRoomLocked(peer))
                return new Refusal($"already {MaxPeers} peers, none idle for {_options.IdlePeerGrace.TotalSeconds:0} s from an address holding more", false);
            var existing = _peers.Find(p => p.Connection.RemotePeerId == id);
            var replacing = false;
            if (existing is not null)
            {
                if (!Replaces(existing, peer)) return new Refusal("already connected", false);
                replacing = true;
            }
            // The session's connections are shared: when they are all in use, an idle peer of ours makes room as above.
            if (!session.TryAddConnection() && !(MakeRoomLocked(peer) && session.TryAddConnection()))
                return new Refusal($"the session has {session.Settings.MaxConnections} connections", false);
            if (replacing) existing!.Drop("replaced by the connection both sides keep when they dial each other at once", violation: false);
            _peers.Add(peer);
            _snapshot = null;
        }
        return null;
    }

    /// <summary>A peer ended: out of the list, and its session connection freed (unless it was dropped to make room,
    /// which freed it then).</summary>
    public void Remove(SwarmPeer peer)
    {
        bool removed;
        lock (_lock)
        {
            removed = _peers.Remove(peer);
            if (removed) _snapshot = null;
        }
        if (removed) _swarm.Session.RemoveConnection();
    }

    /// <summary>Makes room for a newcomer (under _lock): drops <see cref="RoomFor"/>'s peer; false when there is none.</summary>
    private bool MakeRoomLocked(SwarmPeer newcomer)
    {
        if (RoomFor(_peers, newcomer) is not { } victim) return false;
        DropLocked(victim, $"made room for a new peer: no block given or taken for {victim.IdleFor.TotalSeconds:0} s");
        return true;
    }

    /// <summary>Drops a peer to make room or keep to the cap (under _lock): out of the list now (the next count must
    /// not see it), its session slot with it (Remove will not find it any more).</summary>
    private void DropLocked(SwarmPeer peer, string reason)
    {
        _peers.Remove(peer);
        _snapshot = null;
        _swarm.Session.RemoveConnection();
        peer.Drop(reason, violation: false);
    }

    /// <summary>Takes a new peer cap with the peers it has: a higher one lets the swarm dial more at once; a lower one
    /// drops the peers beyond it, those that exchanged the fewest bytes first. False once stopped.</summary>
    public bool TrySetMaxPeers(int maxPeers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        lock (_lock)
        {
            if (_swarm.IsStopping) return false;
            MaxPeers = maxPeers;
            var excess = _peers.Count - maxPeers;
            if (excess > 0)
                // Those that moved the fewest bytes either way go: a seeder is as useful to a download as a downloader to
                // a seed, so whether a peer wants anything of us (RoomFor's first test) does not decide here.
                foreach (var peer in _peers.OrderBy(p => p.Down.Total + p.Up.Total).ThenByDescending(p => p.IdleFor).Take(excess).ToList())
                    DropLocked(peer, $"the torrent's peer cap was lowered to {maxPeers}");
        }
        return true;
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
        var perAddress = peers.GroupBy(p => Host(p.Connection.RemoteEndPoint.Address)).ToDictionary(g => g.Key, g => g.Count());
        var theirs = perAddress.GetValueOrDefault(Host(newcomer.Connection.RemoteEndPoint.Address));
        int Crowd(SwarmPeer p) => perAddress[Host(p.Connection.RemoteEndPoint.Address)];
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

    /// <summary>An address as one host: IPv4 peers on a dual-stack socket arrive IPv4-mapped.</summary>
    internal static System.Net.IPAddress Host(System.Net.IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
