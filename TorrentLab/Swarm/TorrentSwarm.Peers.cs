using System.Net;
using System.Threading.Channels;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Connections: dialling with a bound on concurrent connects, accepting, registering, and ending (with bans).
internal sealed partial class TorrentSwarm
{
    /// <summary>How long before redialling an address whose peer is already connected to us by its own dial.</summary>
    private static readonly TimeSpan DuplicateRetry = TimeSpan.FromSeconds(60);

    /// <summary>Connects in progress at once: enough to fill the swarm fast without a storm of half-open sockets.</summary>
    private const int MaxConnecting = 8;

    private readonly Lock _peersLock = new();
    private readonly List<SwarmPeer> _peers = [];
    private readonly List<Task> _peerTasks = [];
    private readonly List<string> _badPeers = [];
    private readonly Channel<bool> _dialWake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _connecting;

    public int ConnectedCount { get { lock (_peersLock) return _peers.Count; } }

    /// <summary>Peers dropped for violations or bad data, with the reason.</summary>
    public IReadOnlyList<string> BadPeers { get { lock (_peersLock) return [.. _badPeers]; } }

    public SwarmPeer[] PeersSnapshot() { lock (_peersLock) return [.. _peers]; }

    private void WakeDialer() => _dialWake.Writer.TryWrite(true);

    /// <summary>Dials known addresses while there is room, at most <see cref="MaxConnecting"/> at once. A seeder dials
    /// too (some peers never dial a seeder, e.g. Transmission on loopback): a tracker does not say which of its peers
    /// are seeds (BEP 3, BEP 23), so a peer that turns out to be one is dropped and not dialled again.</summary>
    private async Task DialLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            while (Volatile.Read(ref _connecting) < MaxConnecting && ConnectedCount + Volatile.Read(ref _connecting) < MaxPeers
                && _session.HasRoomForConnections)
            {
                var endpoint = _book.TakeNext(Time.GetUtcNow());
                if (endpoint is null) break;
                Interlocked.Increment(ref _connecting);
                Track(DialAsync(endpoint, ct));
            }
            try
            {
                // Woken by new addresses, a dial that ended (either way) and ended connections; else it sleeps until
                // the next address's back-off is over, or for good: an idle torrent costs no wake-ups.
                using var due = new CancellationTokenSource(DialWait(), Time);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct, due.Token);
                await _dialWake.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>How long the dialler may sleep unless woken: until the next address may be dialled, while there is
    /// room for it; a while when only the session's other torrents hold the room (their peers ending wake no one here).</summary>
    private TimeSpan DialWait()
    {
        if (Volatile.Read(ref _connecting) >= MaxConnecting || ConnectedCount + Volatile.Read(ref _connecting) >= MaxPeers)
            return Timeout.InfiniteTimeSpan; // a dial or a connection of ours ending wakes us
        if (!_session.HasRoomForConnections) return SessionFullRetry;
        if (_book.NextTry() is not { } next) return Timeout.InfiniteTimeSpan; // new addresses wake us
        var wait = next - Time.GetUtcNow();
        return wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(10) : TimeSpan.FromMilliseconds(10);
    }

    /// <summary>Between looks at the session's room while its other torrents hold every connection.</summary>
    private static readonly TimeSpan SessionFullRetry = TimeSpan.FromSeconds(5);

    /// <summary>Dials one address and runs the peer; a failed dial releases it to the book (and may ask for a BEP 55
    /// rendezvous). <paramref name="utpOnly"/>: a holepunch dial, over uTP only (the NATs pass UDP once both sides sent).</summary>
    private async Task DialAsync(IPEndPoint endpoint, CancellationToken ct, bool utpOnly = false)
    {
        PeerConnection connection;
        try
        {
            connection = await ConnectAsync(endpoint, ct, utpOnly).ConfigureAwait(false); // uTP, TCP or both (TorrentSwarm.Transport.cs)
        }
        catch (WireException e)
        {
            Interlocked.Decrement(ref _connecting);
            _book.Release(endpoint, failed: true, Time.GetUtcNow());
            if (e.IsViolation) Ban(endpoint, null, e.Reason);
            else _log?.Invoke($"dial {endpoint}{(utpOnly ? " (holepunch)" : "")}: {e.Reason}");
            if (!e.IsViolation && !utpOnly) AskForRendezvous(endpoint); // BEP 55: perhaps a NAT is in the way
            WakeDialer();
            return;
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _connecting);
            return;
        }
        Interlocked.Decrement(ref _connecting);
        WakeDialer(); // a connect slot is free: the next address need not wait for a timeout
        await RunPeerAsync(connection, endpoint, ct).ConfigureAwait(false);
    }

    /// <summary>An incoming connection the session routed here by its handshake's info hash.</summary>
    public void AdoptIncoming(PeerConnection connection)
    {
        if (_stop.IsCancellationRequested)
        {
            connection.Dispose();
            return;
        }
        Track(RunPeerAsync(connection, null, _stop.Token));
    }

    /// <summary>Registers a handshaken connection (refusing ourselves, banned ids, duplicates and overflow), sends our
    /// bitfield, then runs the peer until it ends.</summary>
    private async Task RunPeerAsync(PeerConnection connection, IPEndPoint? dialled, CancellationToken ct)
    {
        var peer = new SwarmPeer(this, connection, outgoing: dialled is not null);
        var refusal = Register(peer);
        if (refusal is not null)
        {
            connection.Dispose();
            // Already connected (it dialled us): try this address again only after a while, not every back-off.
            if (dialled is not null) _book.Release(dialled, failed: refusal.Value.CountsAsFailure, Time.GetUtcNow(), DuplicateRetry);
            if (refusal.Value.Self && dialled is not null) _book.AddSelf(dialled);
            _log?.Invoke($"{peer}: {refusal.Value.Reason}");
            WakeDialer(); // the dialler may sleep "until an address is due": this one has a new due time
            return;
        }
        _log?.Invoke($"{peer}: connected ({(dialled is null ? "incoming" : "outgoing")} over {connection.Transport}, {peer.Client})");
        try
        {
            await peer.StartExtensionsAsync(dialled, ct).ConfigureAwait(false);
            if (dialled is not null) OnPexPeerKnown(peer);
            // BEP 3: "'bitfield' is only ever sent as the first message"; optional when we have nothing (BEP 6: have
            // all/none in its place, and then our allowed fast set).
            // BEP 16: a super-seeder "masquerades as a normal client with no data" (TorrentSwarm.SuperSeed.cs).
            var superSeeding = SuperSeeding;
            var have = superSeeding ? new Bitfield(Torrent.PieceCount) : WrittenSnapshot();
            if (!have.IsEmpty || connection.FastAgreed) await connection.SendBitfieldAsync(have, ct).ConfigureAwait(false);
            if (superSeeding) StartSuperSeeding(peer); // no allowed fast set: it would reveal pieces
            // Nor while a lone seed's first copy goes out: a choked peer's requests for its set are served whatever
            // others were sent, and peers behind one address all get the same set (TorrentSwarm.FirstCopy.cs).
            else if (FirstCopy is not { Active: true }) peer.OfferAllowedFast();
            peer.RequestMissingLayers(); // BEP 52: a magnet link's v2 files need their piece layers from peers
        }
        catch (Exception e) when (e is WireException or OperationCanceledException)
        {
            Unregister(peer);
            OnPexPeerLeft(peer);
            StopSuperSeeding(peer);
            if (dialled is not null) _book.Release(dialled, failed: true, Time.GetUtcNow());
            _log?.Invoke($"{peer}: disconnected before its first message ({(e as WireException)?.Reason ?? "stopping"})");
            WakeDialer(); // as above: the released address is due again after its back-off
            return;
        }
        OnInterestChanged(); // a free upload slot can go to it as soon as it is interested
        await peer.RunAsync(ct).ConfigureAwait(false);
        if (dialled is not null && !Downloading && peer.IsSeed && WrittenSnapshot().IsComplete) _book.Retire(dialled); // seed meets seed: never again
        // While seeding, a connection we uploaded on did its job; while downloading, one that delivered did.
        else if (dialled is not null) _book.Release(dialled, failed: !(peer.Delivered || (!Downloading && peer.Up.Total > 0)) || peer.LeftWithRequests, Time.GetUtcNow());
        WakeDialer();
    }

    /// <summary>A peer sent a file's piece layer that leads to its root: its pieces can be requested now, from
    /// anyone; peers still fetching the same layer keep going (their copy is ignored).</summary>
    public void OnLayerLearned(SwarmPeer from, int file)
    {
        _log?.Invoke($"{from}: piece layer of '{Torrent.Files[file].DisplayPath}' verified against its pieces root (BEP 52 hashes)");
        foreach (var peer in PeersSnapshot()) peer.Poke();
    }

    /// <summary>A peer said which address it sees us at (BEP 10 <c>yourip</c>): a hint for BEP 40's dial order.</summary>
    public void OnAddressReported(SwarmPeer from, IPAddress ours)
    {
        if (ours.IsIPv4MappedToIPv6) ours = ours.MapToIPv4();
        if (Tracker.PeerAddressPolicy.MayDial(new IPEndPoint(ours, Port)))
            _book.OnAddressReported(Host(from.Connection.RemoteEndPoint.Address), ours, Port);
    }

    private readonly record struct Refusal(string Reason, bool CountsAsFailure, bool Self = false);

    private Refusal? Register(SwarmPeer peer)
    {
        var id = peer.Connection.RemotePeerId;
        if (id == PeerId) return new Refusal("that is us", true, Self: true);
        if (_book.IsBanned(id)) return new Refusal("banned earlier in this session", true);
        lock (_peersLock)
        {
            if (_stop.IsCancellationRequested) return new Refusal("shutting down", false);
            if (_peers.Count >= MaxPeers && !MakeRoomLocked(peer))
                return new Refusal($"already {MaxPeers} peers, none idle for {_options.IdlePeerGrace.TotalSeconds:0} s from an address holding more", false);
            var existing = _peers.Find(p => p.Connection.RemotePeerId == id);
            var replacing = false;
            if (existing is not null)
            {
                // A peer id is no proof of identity (anyone who handshook with a peer has learned its id), so a second
                // connection never replaces an established one (data flowed, or it spoke for longer than both sides
                // dialling at once takes): an impostor cannot cut a live connection. Both sides dialling each other at once (same address, neither spoke
                // yet) is resolved the same way on both ends without talking: each keeps the connection opened by the
                // side with the smaller peer id (else both would refuse the second and neither would trade).
                if (existing.Outgoing == peer.Outgoing || !KeepNew(peer.Outgoing, id) || Established(existing)
                    || !SameHost(existing.Connection.RemoteEndPoint.Address, peer.Connection.RemoteEndPoint.Address))
                    return new Refusal("already connected", false);
                replacing = true;
            }
            // The session's connections are shared: when they are all in use, an idle peer of ours makes room as above.
            if (!_session.TryAddConnection() && !(MakeRoomLocked(peer) && _session.TryAddConnection()))
                return new Refusal($"the session has {_session.Settings.MaxConnections} connections", false);
            if (replacing) existing!.Drop("replaced by the connection both sides keep when they dial each other at once", violation: false);
            _peers.Add(peer);
        }
        WakeTimer(); // an idle seeder's clock sleeps until a peer comes
        return null;
    }

    /// <summary>A full swarm makes room for a newcomer: the peer least useful for longest, one that has neither given
    /// nor taken a block for <see cref="Downloads.DownloadOptions.IdlePeerGrace"/> (and is at least that old), is dropped
    /// in its favour. Otherwise connections that only send keep-alives would fill every slot for good, and every honest
    /// peer after them would be refused. False when every peer is in use or new.</summary>
    /// <remarks>Per address: a newcomer may take the place only of a peer whose address holds more of our connections
    /// than its own does. So an address never grows its share of a full swarm, and clients from one address cannot
    /// take turns evicting each other to keep every slot young (each reconnecting as soon as it is dropped kept the
    /// honest peer out for good); a peer from an address with fewer connections always finds room.</remarks>
    private bool MakeRoomLocked(SwarmPeer newcomer)
    {
        var grace = _options.IdlePeerGrace;
        var perAddress = _peers.GroupBy(p => Host(p.Connection.RemoteEndPoint.Address)).ToDictionary(g => g.Key, g => g.Count());
        var theirs = perAddress.GetValueOrDefault(Host(newcomer.Connection.RemoteEndPoint.Address));
        int Crowd(SwarmPeer p) => perAddress[Host(p.Connection.RemoteEndPoint.Address)];
        // Least useful first: a peer that ignored an unchoke or wants nothing from us, before one waiting for a slot;
        // then one from the most crowded address; then the one idle longest.
        var victim = _peers.Where(p => p.Age >= grace && p.IdleFor >= grace && Crowd(p) > theirs)
            .OrderBy(p => p.IgnoredUnchoke(IgnoredUnchokeAfter) || !p.Connection.PeerInterested ? 0 : 1)
            .ThenByDescending(Crowd).ThenByDescending(p => p.IdleFor).FirstOrDefault();
        if (victim is null) return false;
        DropLocked(victim, $"made room for a new peer: no block given or taken for {victim.IdleFor.TotalSeconds:0} s");
        return true;
    }

    /// <summary>Drops a peer to make room or keep to the cap (under _peersLock): out of the list now (the next count must
    /// not see it), its session slot with it (Unregister will not find it any more).</summary>
    private void DropLocked(SwarmPeer peer, string reason)
    {
        _peers.Remove(peer);
        _session.RemoveConnection();
        peer.Drop(reason, violation: false);
    }

    private int _maxPeers = -1; // the peer cap: the options' until the torrent's handle changes it (TrySetMaxPeers)

    /// <summary>Most peers connected at once: <see cref="Downloads.DownloadOptions.MaxPeers"/>, or as changed since.</summary>
    private int MaxPeers => Volatile.Read(ref _maxPeers) is var cap and > 0 ? cap : _options.MaxPeers;

    /// <summary>Takes a new peer cap with the peers it has: a higher one dials more at once; a lower one drops the peers
    /// beyond it, those that exchanged the fewest bytes first. False once stopped.</summary>
    internal bool TrySetMaxPeers(int maxPeers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        lock (_peersLock)
        {
            if (_stop.IsCancellationRequested) return false;
            Volatile.Write(ref _maxPeers, maxPeers);
            var excess = _peers.Count - maxPeers;
            if (excess > 0)
                // Those that moved the fewest bytes either way go: a seeder is as useful to a download as a downloader to
                // a seed, so whether a peer wants anything of us (MakeRoomLocked's first test) does not decide here.
                foreach (var peer in _peers.OrderBy(p => p.Down.Total + p.Up.Total).ThenByDescending(p => p.IdleFor).Take(excess).ToList())
                    DropLocked(peer, $"the torrent's peer cap was lowered to {maxPeers}");
        }
        WakeDialer(); // a higher cap has room to dial into
        return true;
    }

    /// <summary>An address as one host: IPv4 peers on a dual-stack socket arrive IPv4-mapped.</summary>
    private static System.Net.IPAddress Host(System.Net.IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

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
    internal static bool Established(bool spoke, long payloadBytes, TimeSpan age) =>
        payloadBytes > 0 || (spoke && age > SimultaneousOpenWindow);

    /// <summary>True when the new connection was opened by the side with the smaller peer id (the one both keep).</summary>
    private bool KeepNew(bool newIsOutgoing, Wire.PeerId theirs)
    {
        var ours = PeerId;
        var newInitiator = newIsOutgoing ? ours : theirs;
        var oldInitiator = newIsOutgoing ? theirs : ours;
        return newInitiator.Bytes.SequenceCompareTo(oldInitiator.Bytes) < 0;
    }

    private void Unregister(SwarmPeer peer)
    {
        bool removed;
        lock (_peersLock) removed = _peers.Remove(peer);
        if (removed) _session.RemoveConnection();
    }

    private void Track(Task task)
    {
        lock (_peersLock)
        {
            _peerTasks.RemoveAll(t => t.IsCompleted);
            _peerTasks.Add(task);
        }
    }

    /// <summary>A peer's loops ended: forget it; a violation bans it for the session.</summary>
    public void OnPeerEnded(SwarmPeer peer, string reason, bool violation, Exception? fatal)
    {
        if (fatal is not null) Fail(fatal);
        if (peer.StopDelivering(after: TimeSpan.Zero)) OnDelivering(started: false);
        Unregister(peer);
        OnPexPeerLeft(peer);
        StopSuperSeeding(peer);
        FirstCopyPeerLeft(peer);
        if (violation) Ban(peer.Connection.RemoteEndPoint, peer.Connection.RemotePeerId, reason);
        else _log?.Invoke($"{peer}: disconnected ({reason})");
        if (!peer.Choking) RunChoker(); // its upload slot is free
    }

    /// <summary>Bans for the session (never redialled, never accepted) and lists it in the result's bad peers, once:
    /// a peer convicted again (another of its bad blocks found later) keeps its first reason.</summary>
    public void Ban(IPEndPoint endpoint, Wire.PeerId? id, string reason)
    {
        if (!_book.Ban(endpoint, id)) return;
        var line = $"{endpoint}: {reason}";
        lock (_peersLock) _badPeers.Add(line);
        _log?.Invoke($"banned {line}");
        _options.Events?.PeerBanned(endpoint, reason);
    }

    /// <summary>Drops and bans a connected peer.</summary>
    public void BanPeer(SwarmPeer peer, string reason)
    {
        peer.Drop(reason, violation: true);
    }

    /// <summary>A peer said (not) interested: if an upload slot is free, decide now rather than at the next round.</summary>
    /// <remarks>A slot is in use only while its peer is interested: a peer unchoked when it wanted nothing more (its
    /// pieces came from others) kept the slot from a waiting peer until the next round, ten seconds of a capped
    /// upload lost each time in a swarm where interest changes with every piece.</remarks>
    private void OnInterestChanged()
    {
        var unchoked = 0;
        foreach (var p in PeersSnapshot()) if (!p.Choking && p.Connection.PeerInterested && !p.IgnoredUnchoke(IgnoredUnchokeAfter)) unchoked++;
        if (unchoked < _choker.RegularSlots + 1) RunChoker();
    }

    /// <summary>A peer has everything: if we do too, the connection is useless to both.</summary>
    private void OnPeerIsSeed(SwarmPeer peer)
    {
        OnCompleteSourceSeen();
        // A partial seeder keeps it: neither side is complete, and PEX may name it to peers that need its pieces.
        if (!Downloading && _written.IsComplete) peer.Drop("both sides are seeds", violation: false);
    }

    /// <summary>BEP 21: a peer that wants nothing more (a seed or partial seed) is useless to a full seed, which wants
    /// nothing either; the slot goes to a downloader. A partial seed keeps it, as it keeps seeds: PEX may name it to
    /// peers that need its pieces.</summary>
    private void OnPeerUploadOnly(SwarmPeer peer)
    {
        if (!Downloading && _written.IsComplete) peer.Drop("both sides want nothing more (upload_only, BEP 21)", violation: false);
    }
}
