using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>BEP 3 choking, the swarm's part of it: when a round runs (every <see cref="Choker.Interval"/>, and at once
/// when a slot frees or is ignored), who the <see cref="Choker"/> is offered, and the choke and unchoke it sends.</summary>
/// <remarks>How many slots there are is <see cref="UploadSlots"/>'s, widened while a lone seed's first copy goes out
/// (<see cref="FirstCopyPacing.Slots"/>).</remarks>
internal sealed class Choking
{
    private readonly TorrentSwarm _swarm;
    private readonly DownloadOptions _options;
    private readonly Choker _choker;
    private readonly UploadSlots _slots;
    private readonly FirstCopyPacing _firstCopy;
    private long _lastChoke; // a timestamp of Time; 0: no round yet
    private int _running;

    public Choking(TorrentSwarm swarm, DownloadOptions options, RateMeter up, SuperSeeding superSeed, FirstCopyPacing firstCopy)
    {
        _swarm = swarm;
        _options = options;
        _firstCopy = firstCopy;
        _choker = new Choker(Math.Max(0, options.UploadSlots - 1), swarm.Time); // the last slot is the optimistic unchoke
        _slots = new UploadSlots(swarm, options, _choker, up, superSeed);
        _interestedPeers = InterestedPeers;
    }

    /// <summary>From the timer, every second: the slot rule, then a round when one is due (ten seconds after the last
    /// of any kind), or at once when the slots changed or a slot is ignored while others wait.</summary>
    public void Tick()
    {
        var slotsChanged = _slots.Adjust(UnchokedAmong(_swarm.PeersSnapshot()));
        if (_lastChoke == 0 || _swarm.Time.GetElapsedTime(_lastChoke) >= Choker.Interval)
        {
            TimedRounds++;
            Run();
        }
        else if (slotsChanged || SlotIgnoredWhileOthersWait()) Run();
    }

    /// <summary>A peer we unchoked that sends no request within this long ignores its upload slot: the slot goes to
    /// another interested peer (it may say "interested" and never ask, to hold the slot).</summary>
    public static readonly TimeSpan IgnoredUnchokeAfter = TimeSpan.FromSeconds(5);

    /// <summary>True when a peer holds an upload slot it ignores while an interested peer is choked: that slot is
    /// given again now, not at the next round, so idle peers that took every slot hold them at most a second past
    /// <see cref="IgnoredUnchokeAfter"/> (the honest newcomer behind them waited up to a whole round).</summary>
    private bool SlotIgnoredWhileOthersWait()
    {
        var peers = _swarm.PeersSnapshot();
        return Array.Exists(UnchokedAmong(peers), p => !p.Choking && p.IgnoredUnchoke(IgnoredUnchokeAfter))
            && Array.Exists(peers, p => p.Choking && p.Connection.PeerInterested && !p.IgnoredUnchoke(IgnoredUnchokeAfter));
    }

    /// <summary>Choke rounds run on the clock (ten seconds after the last round of any kind) and in all: what the
    /// simulator's trace shows (an event between rounds, such as a peer's interest changing, runs one at once and puts
    /// the timed one off).</summary>
    public int TimedRounds, Rounds;

    /// <summary>BEP 3 choking: the choker picks the upload slots, we send choke/unchoke where the decision changed. A
    /// call while a round runs on another thread (the timer's, a peer's interest) is not lost: that round runs once more
    /// when it ends, so it sees what the call was made for (a round that had read the peers just before an interested
    /// came kept that peer choked until the next timed round, ten seconds later; a CI run, 2026-11-29).</summary>
    public void Run()
    {
        Interlocked.Exchange(ref _again, 1);
        while (Volatile.Read(ref _again) == 1 && Interlocked.Exchange(ref _running, 1) == 0)
        {
            try
            {
                Interlocked.Exchange(ref _again, 0);
                RunOnce();
            }
            finally
            {
                Interlocked.Exchange(ref _running, 0); // a full fence: a call that found us running has set _again by now
            }
        }
    }

    private int _again; // 1: a round was asked for since the running one read the peers

    private void RunOnce()
    {
        _lastChoke = _swarm.Time.GetTimestamp();
        Rounds++;
        // Newest first among equal rates (the choker's order is stable): a newcomer is tried before peers that had
        // their turn. A peer unchoked for a while that asked for nothing comes after every other interested peer
        // until it asks for something: it keeps a slot nobody else wants, and gets one when one is free (choked, it
        // cannot send the request that would clear its mark; a peer whose blocks were out to another asks us once
        // that one is gone).
        var snapshot = _swarm.PeersSnapshot();
        var peers = NewestFirst(snapshot);
        var seeding = !_swarm.Downloading;
        if (_candidates.Length < peers.Length) _candidates = new ChokeCandidate[Math.Max(peers.Length, 2 * _candidates.Length)];
        var candidates = _candidates.AsSpan(0, peers.Length);
        var eligible = 0;
        for (var i = 0; i < peers.Length; i++)
        {
            var p = peers[i];
            var deferred = p.IgnoredUnchoke(IgnoredUnchokeAfter);
            // Only the rate the round ranks by is read (a rate meter sums its window on each read).
            candidates[i] = new ChokeCandidate(p, seeding ? 0 : p.Down.BytesPerSecond, seeding ? p.Up.BytesPerSecond : 0,
                p.Connection.PeerInterested, p.ConnectedAt, deferred, p.PiecesHeld);
            if (candidates[i].Interested && !deferred) eligible++;
        }
        IReadOnlySet<object> unchoke;
        lock (_choker)
        {
            // The session's slots are shared among its torrents with peers; the last slot is the optimistic one.
            _choker.RegularSlots = _firstCopy.Slots(eligible, ConfiguredSlots);
            unchoke = _choker.Decide(candidates, seeding);
        }
        candidates.Clear(); // no peer held past its round
        foreach (var peer in peers)
        {
            var serve = unchoke.Contains(peer);
            var choking = peer.Choking;
            if (choking && serve) _firstCopy.Suggest(peer); // before the unchoke: its first requests follow them
            if (choking == serve) _swarm.Moment(choking ? PieceMapMomentKind.Unchoked : PieceMapMomentKind.Choked, peer);
            peer.SetChoking(!serve);
        }
        Volatile.Write(ref _unchoked, Unchoked.Of(snapshot));
    }

    /// <summary>The peers newest connection first, peers connected at one moment in their list's order: made again
    /// only when the list changes (a connection's time does not).</summary>
    private SwarmPeer[] NewestFirst(SwarmPeer[] snapshot)
    {
        if (ReferenceEquals(_newestFirst.From, snapshot)) return _newestFirst.Peers;
        var order = new int[snapshot.Length];
        var connected = new DateTimeOffset[snapshot.Length];
        for (var i = 0; i < order.Length; i++) (order[i], connected[i]) = (i, snapshot[i].ConnectedAt);
        Array.Sort(order, (a, b) => connected[b].CompareTo(connected[a]) is var c && c != 0 ? c : a.CompareTo(b));
        var peers = new SwarmPeer[order.Length];
        for (var i = 0; i < order.Length; i++) peers[i] = snapshot[order[i]];
        _newestFirst = (snapshot, peers);
        return peers;
    }

    private (SwarmPeer[]? From, SwarmPeer[] Peers) _newestFirst = (null, []); // RunOnce's, one round at a time
    private ChokeCandidate[] _candidates = new ChokeCandidate[64]; // RunOnce's, grown as needed

    /// <summary>The peers we serve, in their list's order, as the last round left them: only a round chokes or
    /// unchokes, so between rounds this changes only when the list does (it is made again then, from the list). An
    /// interest change reads these few, not every peer (a 1,000-peer simulation took millions of interest
    /// changes).</summary>
    /// <remarks>Made on a peer's thread while a round runs on the timer's, it may miss a peer that round unchokes: an
    /// interest change then counts a slot free and runs a round more, which makes it again. It never counts a peer we
    /// choke: each is asked again.</remarks>
    private sealed record Unchoked(SwarmPeer[] From, SwarmPeer[] Peers)
    {
        public static Unchoked Of(SwarmPeer[] snapshot) => new(snapshot, Array.FindAll(snapshot, p => !p.Choking));
    }

    private Unchoked? _unchoked;

    private SwarmPeer[] UnchokedAmong(SwarmPeer[] snapshot)
    {
        var known = Volatile.Read(ref _unchoked);
        if (known is null || !ReferenceEquals(known.From, snapshot)) Volatile.Write(ref _unchoked, known = Unchoked.Of(snapshot));
        return known.Peers;
    }

    /// <summary>The regular slots as configured: the session's share of its slots, less the optimistic one, and those
    /// <see cref="UploadSlots"/> adds.</summary>
    private int ConfiguredSlots => _swarm.Session.UploadSlotsFor(_options.UploadSlots) - 1 + _slots.Extra;

    /// <summary>The upload slots the choker fills now, the optimistic one included (the simulator's trace).</summary>
    public int SlotsNow { get { lock (_choker) return _choker.RegularSlots + 1; } }

    /// <summary>A peer said (not) interested: if an upload slot is free, decide now rather than at the next round.</summary>
    /// <remarks>A slot is in use only while its peer is interested: a peer unchoked when it wanted nothing more (its
    /// pieces came from others) kept the slot from a waiting peer until the next round, ten seconds of a capped
    /// upload lost each time in a swarm where interest changes with every piece. While a lone seed's first copy goes
    /// out its slots grow with the interested peers (<see cref="FirstCopyPacing.Slots"/>), so a peer interested after the
    /// round is decided for at once too: eight downloaders that knew only a capped seed, four of whose interest came
    /// after the first round, waited ten seconds for the next with the seed's pieces going to the other four alone.</remarks>
    public void InterestChanged()
    {
        var unchoked = 0;
        foreach (var p in UnchokedAmong(_swarm.PeersSnapshot()))
            if (p.Connection.PeerInterested && !p.IgnoredUnchoke(IgnoredUnchokeAfter) && !p.Choking) unchoked++;
        int slots;
        lock (_choker) slots = _choker.RegularSlots;
        if (unchoked < slots + 1 || _firstCopy.Widens(_interestedPeers, ConfiguredSlots, slots)) Run();
    }

    /// <summary>Interested peers that have not ignored an unchoke, choked or not.</summary>
    private int InterestedPeers()
    {
        var interested = 0;
        foreach (var p in _swarm.PeersSnapshot())
            if (p.Connection.PeerInterested && !p.IgnoredUnchoke(IgnoredUnchokeAfter)) interested++;
        return interested;
    }

    private readonly Func<int> _interestedPeers; // InterestedPeers, made once
}
