using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Connections: dialling with a bound on concurrent connects, accepting, registering, and ending (with bans).
internal sealed partial class TorrentSwarm
{
    /// <summary>How long before redialling an address whose peer is already connected to us by its own dial.</summary>
    private static readonly TimeSpan DuplicateRetry = TimeSpan.FromSeconds(60);

    private readonly Lock _tasksLock = new(); // guards _peerTasks and _badPeers
    private readonly List<Task> _peerTasks = [];
    private readonly List<string> _badPeers = [];

    public int ConnectedCount => _admission.Count;

    /// <summary>Peers dropped for violations or bad data, with the reason.</summary>
    public IReadOnlyList<string> BadPeers { get { lock (_tasksLock) return [.. _badPeers]; } }

    public SwarmPeer[] PeersSnapshot() => _admission.Snapshot();

    /// <summary>Takes <paramref name="endpoint"/> for a dial now, past its back-off (false: the book refuses it or it is
    /// being dialled).</summary>
    internal bool TakeNow(IPEndPoint endpoint, Downloads.PeerSource source) => _book.TakeNow(endpoint, source);

    /// <summary>A holepunch dial (BEP 55) to an address taken with <see cref="TakeNow"/>: over uTP only.</summary>
    internal void DialOverUtp(IPEndPoint endpoint) => _dialler.DialOverUtp(endpoint, _stop.Token);

    /// <summary>The session runs a uTP socket (a holepunch dials over uTP only).</summary>
    internal bool HasUtp => _session.Utp is not null;

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
    internal async Task RunPeerAsync(PeerConnection connection, IPEndPoint? dialled, CancellationToken ct)
    {
        var peer = new SwarmPeer(this, _parts, connection, outgoing: dialled is not null);
        var refusal = Register(peer);
        if (refusal is not null)
        {
            connection.Dispose();
            // Already connected (it dialled us): try this address again only after a while, not every back-off.
            if (dialled is not null) _book.Release(dialled, failed: refusal.Value.CountsAsFailure, Time.GetUtcNow(), DuplicateRetry);
            if (refusal.Value.Self && dialled is not null) _book.AddSelf(dialled);
            _log?.Invoke($"{peer}: {refusal.Value.Reason}");
            Tried(dialled ?? connection.RemoteEndPoint, FindingKind.Refused, $"not taken: {refusal.Value.Reason}");
            _dialler.Wake(); // the dialler may sleep "until an address is due": this one has a new due time
            return;
        }
        _log?.Invoke($"{peer}: connected ({(dialled is null ? "incoming" : "outgoing")} over {connection.Transport}, {peer.Client})");
        if (dialled is null) _options.Events?.Reached(connection.RemoteEndPoint, null); // it dialled us: our port is open to it
        try
        {
            await peer.StartExtensionsAsync(dialled, ct).ConfigureAwait(false);
            if (dialled is not null) _pex.PeerKnown(peer);
            // BEP 3: "'bitfield' is only ever sent as the first message"; optional when we have nothing (BEP 6: have
            // all/none in its place, and then our allowed fast set).
            // BEP 16: a super-seeder "masquerades as a normal client with no data" (SuperSeeding.cs).
            var superSeeding = _superSeed.ForNewPeer;
            var have = superSeeding ? new Bitfield(Torrent.PieceCount) : WrittenSnapshot();
            if (!have.IsEmpty || connection.FastAgreed) await connection.SendBitfieldAsync(have, ct).ConfigureAwait(false);
            if (superSeeding) _superSeed.Start(peer); // no allowed fast set: it would reveal pieces
            // Nor while a lone seed's first copy goes out: a choked peer's requests for its set are served whatever
            // others were sent, and peers behind one address all get the same set (FirstCopyPacing.cs).
            else if (FirstCopy is not { Active: true }) peer.OfferAllowedFast();
            peer.RequestMissingLayers(); // BEP 52: a magnet link's v2 files need their piece layers from peers
        }
        catch (Exception e) when (e is WireException or OperationCanceledException)
        {
            _admission.Remove(peer);
            _pex.PeerLeft(peer);
            _superSeed.PeerLeft(peer);
            if (dialled is not null) _book.Release(dialled, failed: true, Time.GetUtcNow());
            _log?.Invoke($"{peer}: disconnected before its first message ({(e as WireException)?.Reason ?? "stopping"})");
            if (e is WireException w) Tried(connection.RemoteEndPoint, FindingKind.HandshakeFailed, $"left before its first message: {w.Reason}");
            _dialler.Wake(); // as above: the released address is due again after its back-off
            return;
        }
        _choking.InterestChanged(); // a free upload slot can go to it as soon as it is interested
        await peer.RunAsync(ct).ConfigureAwait(false);
        if (!Downloading && peer.IsSeed && WrittenSnapshot().IsComplete && (dialled ?? peer.ListenEndPoint) is { } seed) _book.Retire(seed); // seed meets seed, whoever dialled: never again
        // While seeding, a connection we uploaded on did its job; while downloading, one that delivered did.
        else if (dialled is not null) _book.Release(dialled, failed: !(peer.Delivered || (!Downloading && peer.Up.Total > 0)) || peer.LeftWithRequests, Time.GetUtcNow());
        _dialler.Wake();
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
            _book.OnAddressReported(PeerAdmission.Host(from.Connection.RemoteEndPoint.Address), ours, Port);
        _options.Events?.Reached(from.Connection.RemoteEndPoint, ours);
    }

    private PeerAdmission.Refusal? Register(SwarmPeer peer)
    {
        var id = peer.Connection.RemotePeerId;
        if (id == PeerId) return new("that is us", true, Self: true);
        if (_book.IsBanned(id)) return new("banned earlier in this session", true);
        if (_admission.TryAdd(peer) is { } refusal) return refusal;
        _timer.Wake(); // an idle seeder's clock sleeps until a peer comes
        return null;
    }

    /// <summary>Most peers connected at once: <see cref="Downloads.DownloadOptions.MaxPeers"/>, or as changed since.</summary>
    internal int MaxPeers => _admission.MaxPeers;

    /// <summary>Takes a new peer cap with the peers it has (<see cref="PeerAdmission.TrySetMaxPeers"/>); false once stopped.</summary>
    internal bool TrySetMaxPeers(int maxPeers)
    {
        if (!_admission.TrySetMaxPeers(maxPeers)) return false;
        _dialler.Wake(); // a higher cap has room to dial into
        return true;
    }

    /// <summary>True once the swarm is stopping: it takes no new peer, cap or setting.</summary>
    internal bool IsStopping => _stop.IsCancellationRequested;

    internal void Track(Task task)
    {
        lock (_tasksLock)
        {
            _peerTasks.RemoveAll(t => t.IsCompleted);
            _peerTasks.Add(task);
        }
    }

    /// <summary>A peer's loops ended: forget it; a violation bans it for the session.</summary>
    public void OnPeerEnded(SwarmPeer peer, string reason, bool violation, Exception? fatal)
    {
        if (fatal is not null) Fail(fatal);
        if (peer.StopDelivering(after: TimeSpan.Zero)) Progress.Delivering(started: false);
        _admission.Remove(peer);
        _pex.PeerLeft(peer);
        _superSeed.PeerLeft(peer);
        _firstCopy.PeerLeft(peer);
        if (violation) Ban(peer.Connection.RemoteEndPoint, peer.Connection.RemotePeerId, reason);
        else _log?.Invoke(peer.Claims.Summary() is { } claims ? $"{peer}: disconnected ({reason}); {claims}" : $"{peer}: disconnected ({reason})");
        if (_options.Events is not null && !_stop.IsCancellationRequested)
        {
            var (kind, why) = PeerFindings.EndOf(peer, reason, violation, Downloading);
            Tried(peer.Connection.RemoteEndPoint, kind, why);
        }
        if (!peer.Choking) _choking.Run(); // its upload slot is free
    }

    /// <summary>Bans for the session (never redialled, never accepted) and lists it in the result's bad peers, once:
    /// a peer convicted again (another of its bad blocks found later) keeps its first reason.</summary>
    public void Ban(IPEndPoint endpoint, Wire.PeerId? id, string reason)
    {
        if (!_book.Ban(endpoint, id)) return;
        var line = $"{endpoint}: {reason}";
        lock (_tasksLock) _badPeers.Add(line);
        _log?.Invoke($"banned {line}");
        _options.Events?.PeerBanned(endpoint, reason);
    }

    /// <summary>Drops and bans a connected peer.</summary>
    public void BanPeer(SwarmPeer peer, string reason)
    {
        peer.Drop(reason, violation: true);
    }

    /// <summary>Tells the torrent's diagnosis what came of a peer tried (<see cref="Downloads.ITorrentEvents.PeerTried"/>).</summary>
    internal void Tried(IPEndPoint peer, FindingKind kind, string reason) => _options.Events?.PeerTried(peer, kind, reason);

    /// <summary>A peer has everything: if we do too, the connection is useless to both.</summary>
    private void OnPeerIsSeed(SwarmPeer peer)
    {
        _firstCopy.CompleteSourceSeen();
        // A partial seeder keeps it: neither side is complete, and PEX may name it to peers that need its pieces.
        if (!Downloading && _wanted.HasEveryPiece) peer.Drop("both sides are seeds", violation: false);
    }

    /// <summary>BEP 21: a peer that wants nothing more (a seed or partial seed) is useless to a full seed, which wants
    /// nothing either; the slot goes to a downloader. A partial seed keeps it, as it keeps seeds: PEX may name it to
    /// peers that need its pieces.</summary>
    private void OnPeerUploadOnly(SwarmPeer peer)
    {
        if (!Downloading && _wanted.HasEveryPiece) peer.Drop("both sides want nothing more (upload_only, BEP 21)", violation: false);
    }
}
