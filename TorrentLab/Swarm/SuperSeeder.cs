using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>BEP 16 super-seeding ("initial seeding"): which piece to reveal to which peer, and when. A seeder in this
/// mode announces no pieces; it tells a peer, with one <c>have</c>, about one piece the others lack, and tells it
/// about the next only once the previous one is seen spreading. A piece is revealed again only when its first
/// recipient did not pass it on; so the seed uploads each piece about once and the peers trade the rest among
/// themselves, however large the crowd.</summary>
/// <remarks>
/// <para>BEP 16: "When a seeding client enters 'super-seed mode', it will not act as a standard seed, but masquerades as
/// a normal client with no data. As clients connect, it will then inform them that it received a piece -- a piece that
/// was never sent, or if all pieces were already sent, is very rare. [...] When the client has finished downloading the
/// piece, the seed will not inform it of any other pieces until it has seen the piece it had sent previously present
/// on at least one other client."</para>
/// <para>"Seen spreading" here: the peer announced the piece with <c>have</c> (it finished it) and at least one other
/// connected peer has announced it too. Where TorrentLab departs from the letter: a peer that is the only one
/// connected, or whose every other peer has the piece already, has nobody to spread it to, so finishing it is enough (a
/// lone downloader would otherwise wait forever). A piece a peer already had when it sent its bitfield is no offer:
/// another is made.</para>
/// <para>Hoarders: a peer that takes the piece revealed to it and never says <c>have</c> gets no further reveal, and
/// once its reveal is <see cref="StaleAfter"/> old it no longer counts among the peers a piece must reach: others do not
/// wait on it. And whatever the others do, a piece a peer announced <see cref="SpreadWait"/> ago counts as spread. So
/// one silent peer cannot stall the rest.</para>
/// <para>A crowd larger than the piece count (where BEP 16 is silent; libtorrent tells every peer a piece, so a seed
/// of 16 pieces sent 4-5 times the torrent to 100 peers): a piece is revealed to one peer, and again only once that
/// reveal has failed: the peer lacks it <see cref="StaleAfter"/> after the reveal, or announced it <see cref="PassOnWait"/>
/// ago and nobody else has it yet, or it left. A piece some peer holds that we never told it about has spread, and is
/// never revealed again while that peer stays. Peers with no piece to be told get theirs from the others (and a reveal
/// later, when one is needed). At most <see cref="InFlight"/> pieces are under way at once (revealed and not yet
/// spread): each first copy then gets a good share of the seed's upload, and the peers that pass theirs on first are
/// free first for the next reveal; a free peer whose reveals spread goes before one never tried, and one whose reveal
/// failed goes last. While the crowd keeps up (<see cref="CrowdKeepsUpLocked"/>), a piece its peer has fetched no
/// longer counts among the four: only pieces still coming from us do, so our upload is not left idle while fetched
/// pieces wait for their holders' chokers.</para>
/// <para>Only state, no I/O: the swarm sends the <c>have</c> of each <see cref="Offer"/> returned. Thread-safe.</para>
/// </remarks>
internal sealed class SuperSeeder
{
    /// <summary>How long after a peer announced its revealed piece that piece counts as spread, whoever else has it.</summary>
    public static readonly TimeSpan SpreadWait = TimeSpan.FromSeconds(30);

    /// <summary>How long a revealed piece may stay unannounced before its peer no longer counts among those a piece must
    /// reach (a 16 KiB block a second fetches a 256 KiB piece in 16 s).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(15);

    /// <summary>How long after a peer announced a piece we revealed to it another peer must have it too, before the piece
    /// is revealed to someone else (its first recipient did not pass it on).</summary>
    public static readonly TimeSpan PassOnWait = TimeSpan.FromSeconds(20);

    /// <summary>Pieces revealed and not yet spread, at most, at any one time (see <see cref="NeededLocked"/>).</summary>
    public const int InFlight = 4;

    /// <summary>The crowd keeps up while every peer would catch up with the pieces given to it within this long at its
    /// own pace so far (see <see cref="CrowdKeepsUpLocked"/>).</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;
    private readonly int _pieceCount;
    private readonly Dictionary<object, PeerState> _peers = [];
    private readonly int[] _availability; // connected peers that have each piece
    private readonly int[] _inFlight;     // peers offered each piece that do not have it yet
    private readonly int[] _elsewhere;    // connected peers that have each piece and were not told it by us: it spread
    private readonly List<PeerState>[] _carriers; // connected peers told each piece by us
    private int _cursor;                  // where the search for the rarest piece starts: ties go round the torrent

    /// <summary>A piece revealed to a peer: send it <c>have</c> for <see cref="Piece"/>.</summary>
    public readonly record struct Offer(object Peer, int Piece);

    private sealed class PeerState(int pieceCount)
    {
        public readonly Bitfield Has = new(pieceCount);
        public DateTimeOffset AddedAt;          // when it connected: its pace is Has.Count since then
        public readonly Dictionary<int, Reveal> Told = []; // every piece revealed to it: it may request these
        public int Pending = -1;                // the piece revealed last, not yet seen spreading; -1: none
        public DateTimeOffset RevealedAt;       // when Pending was revealed
        public DateTimeOffset? AnnouncedAt;     // when the peer announced Pending, if it did
        public int Spreads;                     // pieces revealed to it that then spread
        public bool Failed;                     // a piece revealed to it did not spread in time
    }

    /// <summary>When a piece was revealed to a peer, and when the peer announced it.</summary>
    private sealed class Reveal(DateTimeOffset at)
    {
        public readonly DateTimeOffset At = at;
        public DateTimeOffset? FinishedAt;
    }

    public SuperSeeder(int pieceCount, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceCount);
        _clock = clock ?? TimeProvider.System;
        _pieceCount = pieceCount;
        _availability = new int[pieceCount];
        _inFlight = new int[pieceCount];
        _elsewhere = new int[pieceCount];
        _carriers = new List<PeerState>[pieceCount];
        for (var i = 0; i < pieceCount; i++) _carriers[i] = [];
    }

    /// <summary>Offers the rarest piece the others lack to a newly connected peer (which we told we have nothing).</summary>
    public IReadOnlyList<Offer> AddPeer(object peer)
    {
        lock (_lock)
        {
            if (_peers.ContainsKey(peer)) throw new InvalidOperationException($"{peer} is super-seeded already");
            var state = new PeerState(_pieceCount) { AddedAt = _clock.GetUtcNow() };
            _peers.Add(peer, state);
            var offers = new List<Offer>();
            var (needed, budget) = NeededLocked();
            if (budget > 0) OfferNextLocked(peer, state, offers, needed);
            return offers;
        }
    }

    /// <summary>The peer's <c>bitfield</c> (or <c>have all</c>): what it had before we revealed anything. An offer of a
    /// piece it turns out to have is replaced by another.</summary>
    public IReadOnlyList<Offer> PeerHad(object peer, Bitfield pieces)
    {
        lock (_lock)
        {
            if (!_peers.TryGetValue(peer, out var state)) return [];
            var offers = new List<Offer>();
            foreach (var index in pieces.SetIndexes()) MarkHasLocked(state, index);
            if (state.Pending >= 0 && state.Has[state.Pending])
            {
                state.Pending = -1; // not a piece we sent it
                var (needed, budget) = NeededLocked();
                if (budget > 0) OfferNextLocked(peer, state, offers, needed);
            }
            RecheckLocked(offers);
            return offers;
        }
    }

    /// <summary>The peer announced piece <paramref name="index"/> with <c>have</c>: it may be the piece we revealed to
    /// it (finished) or one revealed to another peer (spreading); either may free a peer for its next piece.</summary>
    public IReadOnlyList<Offer> PeerHas(object peer, int index)
    {
        lock (_lock)
        {
            if (!_peers.TryGetValue(peer, out var state) || (uint)index >= (uint)_pieceCount) return [];
            var offers = new List<Offer>();
            if (MarkHasLocked(state, index)) RecheckLocked(offers);
            return offers;
        }
    }

    /// <summary>The peer left: what it was offered goes back to the pool, and peers waiting for a piece to spread may
    /// now have nobody left to spread it to.</summary>
    public IReadOnlyList<Offer> RemovePeer(object peer)
    {
        lock (_lock)
        {
            if (!_peers.Remove(peer, out var state)) return [];
            foreach (var index in state.Has.SetIndexes())
            {
                _availability[index]--;
                if (!state.Told.ContainsKey(index)) _elsewhere[index]--;
            }
            foreach (var index in state.Told.Keys) _carriers[index].Remove(state);
            if (state.Pending >= 0 && !state.Has[state.Pending]) _inFlight[state.Pending]--;
            var offers = new List<Offer>();
            RecheckLocked(offers);
            return offers;
        }
    }

    /// <summary>Rechecks every peer as time passes (a piece announced <see cref="SpreadWait"/> ago, a peer turned
    /// stale); the swarm calls it every few seconds.</summary>
    public IReadOnlyList<Offer> Tick()
    {
        lock (_lock)
        {
            var offers = new List<Offer>();
            RecheckLocked(offers);
            return offers;
        }
    }

    /// <summary>True when we revealed piece <paramref name="index"/> to the peer: only those may it request.</summary>
    public bool WasOffered(object peer, int index)
    {
        lock (_lock) return _peers.TryGetValue(peer, out var state) && state.Told.ContainsKey(index);
    }

    /// <summary>The piece revealed to the peer and not yet seen spreading, if any (for tests and logs).</summary>
    public int? PendingFor(object peer)
    {
        lock (_lock) return _peers.TryGetValue(peer, out var state) && state.Pending >= 0 ? state.Pending : null;
    }

    // True when the peer did not have it before.
    private bool MarkHasLocked(PeerState state, int index)
    {
        if (!state.Has.Set(index)) return false;
        _availability[index]++;
        if (state.Told.TryGetValue(index, out var reveal)) reveal.FinishedAt = _clock.GetUtcNow();
        else if (_elsewhere[index]++ == 0)
            foreach (var carrier in _carriers[index])
                if (carrier.Has[index]) carrier.Spreads++; // passed on (by it, as far as we can tell)
        if (state.Pending == index)
        {
            _inFlight[index]--;
            state.AnnouncedAt = _clock.GetUtcNow();
        }
        return true;
    }

    /// <summary>Every peer whose revealed piece has now spread is free for its next one; pieces that need revealing go to
    /// free peers, those whose reveals spread first (they pass pieces on), then new ones, then those that did not.</summary>
    private void RecheckLocked(List<Offer> offers)
    {
        List<(object Peer, PeerState State)>? free = null;
        foreach (var (peer, state) in _peers)
        {
            if (state.Pending >= 0 && !Spread(state)) continue;
            if (state.Pending < 0 && state.Has.IsComplete) continue;
            state.Pending = -1;
            (free ??= []).Add((peer, state));
        }
        if (free is null) return;
        var (needed, budget) = NeededLocked();
        if (budget == 0) return;
        foreach (var (peer, state) in free.OrderBy(f => f.State.Failed).ThenByDescending(f => f.State.Spreads))
            if (OfferNextLocked(peer, state, offers, needed) && --budget == 0) return;
    }

    /// <summary>The pieces that need a reveal now, and how many may be revealed: a piece needs one when it has not spread
    /// (no connected peer has it that we did not tell it about, and not every peer that counts has it) and no reveal of it
    /// is under way (every peer told it either lacks it <see cref="StaleAfter"/> after the reveal or announced it
    /// <see cref="PassOnWait"/> ago without anybody else getting it). At most <see cref="InFlight"/> pieces are under way
    /// at once: each first copy goes out quickly, and the peers that pass theirs on first are free first for the next.
    /// While the crowd keeps up, only the pieces still coming from us count: one its peer has fetched costs our upload
    /// nothing while it waits to be passed on.</summary>
    private (bool[] Needed, int Budget) NeededLocked()
    {
        var now = _clock.GetUtcNow();
        var needed = new bool[_pieceCount];
        var count = 0;
        var underWay = 0; // revealed and not yet spread
        var fromUs = 0;   // of those, still being fetched from us
        for (var i = 0; i < _pieceCount; i++)
        {
            if (_elsewhere[i] > 0 || _availability[i] > 0 && _peers.Values.All(p => p.Has[i] || Stale(p, now))) continue;
            var live = false;
            foreach (var carrier in _carriers[i])
            {
                var reveal = carrier.Told[i];
                live = reveal.FinishedAt is { } finished ? now - finished < PassOnWait : now - reveal.At < StaleAfter;
                if (live) break;
                carrier.Failed = true; // took a reveal and did not pass it on in time
            }
            if (live)
            {
                underWay++;
                if (_carriers[i].Any(c => !c.Has[i] && now - c.Told[i].At < StaleAfter)) fromUs++;
                continue;
            }
            needed[i] = true;
            count++;
        }
        var counted = CrowdKeepsUpLocked(now) ? fromUs : underWay;
        return (needed, Math.Min(count, Math.Max(0, InFlight - counted)));
    }

    /// <summary>True when no peer lags far behind the pieces given to the crowd: every peer still downloading (and not a
    /// stale hoarder) lacks at most <see cref="InFlight"/> of them, or as many as it got in <see cref="CatchUp"/> at its
    /// pace since it connected. Where the crowd is short of upload, pieces reach everyone soon after they are given and
    /// the seed's idle upload is the loss; where the slowest downlinks set the time, they lag, and revealing faster
    /// only lets the fastest peers run ahead and keep each other's uploads, which fed the slow ones while the pieces
    /// were few (simulated, 100 peers of measured capacities and 100 MiB, bench/notes/swarm.md 2026-11-30).</summary>
    private bool CrowdKeepsUpLocked(DateTimeOffset now)
    {
        var given = 0; // pieces some peer has or is fetching from a reveal
        for (var i = 0; i < _pieceCount; i++) if (_availability[i] > 0 || _inFlight[i] > 0) given++;
        foreach (var peer in _peers.Values)
        {
            if (peer.Has.IsComplete || Stale(peer, now)) continue;
            var behind = given - peer.Has.Count;
            if (behind <= InFlight) continue;
            var seconds = (now - peer.AddedAt).TotalSeconds;
            if (seconds <= 0 || behind > peer.Has.Count * CatchUp.TotalSeconds / seconds) return false;
        }
        return true;
    }

    // Finished by the peer, and announced by another client, or by every other client that is not a stale hoarder, or
    // announced SpreadWait ago (see the remarks).
    private bool Spread(PeerState state)
    {
        var piece = state.Pending;
        if (!state.Has[piece]) return false;
        if (_availability[piece] >= 2) return true;
        var now = _clock.GetUtcNow();
        if (now - state.AnnouncedAt >= SpreadWait) return true;
        return _peers.Values.All(other => other == state || other.Has[piece] || Stale(other, now));
    }

    /// <summary>The peer sits on a reveal it has not announced for <see cref="StaleAfter"/>.</summary>
    private static bool Stale(PeerState state, DateTimeOffset now) =>
        state.Pending >= 0 && !state.Has[state.Pending] && now - state.RevealedAt >= StaleAfter;

    /// <summary>BEP 16: "a piece that was never sent, or if all pieces were already sent, is very rare": of the pieces
    /// that need a reveal (<see cref="NeededLocked"/>) and the peer lacks, the one the fewest peers have or are fetching.
    /// None: the peer gets its pieces from the other peers, and a reveal later if one goes missing. True when offered.</summary>
    private bool OfferNextLocked(object peer, PeerState state, List<Offer> offers, bool[] needed)
    {
        var best = -1;
        var bestCount = int.MaxValue;
        for (var k = 0; k < _pieceCount && bestCount > 0; k++)
        {
            var i = (_cursor + k) % _pieceCount;
            if (!needed[i] || state.Has[i] || state.Told.ContainsKey(i)) continue; // a piece told early (see below) is no new offer
            var count = _availability[i] + _inFlight[i];
            if (count < bestCount)
            {
                best = i;
                bestCount = count;
            }
        }
        if (best < 0) return false;
        needed[best] = false; // under way now
        _cursor = (best + 1) % _pieceCount;
        state.Pending = best;
        state.RevealedAt = _clock.GetUtcNow();
        state.AnnouncedAt = null;
        TellLocked(state, best);
        _inFlight[best]++;
        offers.Add(new Offer(peer, best));
        OfferLastEarlyLocked(peer, state, offers);
        return true;
    }

    private void TellLocked(PeerState state, int index)
    {
        state.Told.Add(index, new Reveal(_clock.GetUtcNow()));
        _carriers[index].Add(state);
    }

    /// <summary>When every piece but one has been revealed to the peer and it lacks that one too, reveals it now, with
    /// the piece just offered: the <c>have</c> that completes what we announced makes us a seed in the peer's eyes, and
    /// it must reach a peer that is still interested in us. libtorrent (2.0.8, <c>peer_connection::incoming_have</c>)
    /// checks a peer that just became a seed for redundancy before it updates its interest: a peer that had finished
    /// every piece we announced, was not interested, and then heard the last <c>have</c> closes the connection as "an
    /// upload-only peer we are not interested in", one piece short. Two <c>have</c>s sent together arrive before it
    /// can finish either, so it is interested when the second one makes us a seed.</summary>
    private void OfferLastEarlyLocked(object peer, PeerState state, List<Offer> offers)
    {
        if (state.Told.Count != _pieceCount - 1) return;
        for (var i = 0; i < _pieceCount; i++)
        {
            if (state.Told.ContainsKey(i)) continue;
            if (state.Has[i]) return; // it has the last one: our announcements never make us a seed to it
            TellLocked(state, i);
            offers.Add(new Offer(peer, i));
            return;
        }
    }
}
