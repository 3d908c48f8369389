namespace TorrentLab.Swarm;

/// <summary>A peer as the choker sees it.</summary>
/// <param name="Key">Whatever identifies the peer to the caller.</param>
/// <param name="RateToUs">Payload bytes per second the peer sends us (what a downloader reciprocates).</param>
/// <param name="RateFromUs">Payload bytes per second we send the peer (what a seeder ranks by).</param>
/// <param name="Interested">The peer told us it is interested.</param>
/// <param name="ConnectedAt">When the connection opened (newcomers get a better optimistic chance).</param>
/// <param name="Deferred">It ignored its last unchoke: an interested peer that comes after every other one, for the
/// regular slots and the optimistic one, but still takes a slot nobody else wants.</param>
/// <param name="Held">Pieces it has (a downloader's optimistic slot turns to the peer furthest behind).</param>
internal readonly record struct ChokeCandidate(object Key, double RateToUs, double RateFromUs, bool Interested, DateTimeOffset ConnectedAt,
    bool Deferred = false, int Held = 0);

/// <summary>Decides whom we upload to: BEP 3's tit-for-tat choking with one optimistic unchoke.</summary>
/// <remarks>
/// BEP 3: "Currently deployed clients unchoke the four peers which have the best download rate and are interested.
/// [...] If a downloader has a complete file, it uses its upload rate rather than its download rate to decide which
/// to unchoke. For optimistic unchoking, at any one time there is a single peer which is unchoked regardless of its
/// upload rate [...] Which peer is optimistically unchoked rotates every 30 seconds. Newly connected peers are three
/// times as likely to start as the current optimistic unchoke as anywhere else in the rotation." Decisions are taken
/// every ten seconds "to avoid fibrillation". Here: <see cref="RegularSlots"/> (3) by rate plus one optimistic slot,
/// four uploads in all. Peers that are not interested stay unchoked when they rank above the slowest regular
/// uploader, as BEP 3 describes, so they can start at once when they become interested.
/// <para>A downloader's optimistic slot takes turns: one rotation goes to the waiting peer that has the fewest pieces
/// (the one furthest behind), the next to BEP 3's draw, and so on. Tit-for-tat alone can lock a slow peer into trading
/// with slow peers: the fast ones keep reciprocating whoever first uploaded to them, and a draw among fifty waiting
/// peers reaches any one of them about once in 25 minutes. In a simulated crowd of 100 whose slowest downlinks are the
/// bound, one such peer was unchoked by 0.6 fast peers on average (the other slow peers by 2 to 4), used 72 % of its
/// downlink for 400 s and finished at 1.20 T_min, the others at 1.04-1.09. A seed only draws: where the upload is the
/// bound, what it sends should go to a peer that passes it on (its turns to the peer furthest behind cost a crowd of
/// 30 short of upload 0.03 T_min). bench/notes/swarm.md, "The optimistic slot to the peer furthest behind".</para>
/// </remarks>
internal sealed class Choker
{
    /// <summary>BEP 3: decisions every ten seconds.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>BEP 3: the optimistic unchoke rotates every 30 seconds.</summary>
    public static readonly TimeSpan OptimisticInterval = TimeSpan.FromSeconds(30);

    /// <summary>Connections younger than this count as new for the optimistic draw.</summary>
    private static readonly TimeSpan NewPeerAge = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly Random _random;
    private DateTimeOffset _optimisticChosenAt = DateTimeOffset.MinValue;
    private object? _optimistic;

    public Choker(int regularSlots = 3, TimeProvider? time = null, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(regularSlots);
        RegularSlots = regularSlots;
        _time = time ?? TimeProvider.System;
        _random = random ?? Randomness.NewRandom();
    }

    /// <summary>Uploads chosen by rate; one more slot is optimistic. A session changes it between rounds, as its slots
    /// are shared among more or fewer torrents.</summary>
    public int RegularSlots
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    }

    /// <summary>The peer currently unchoked optimistically, if any.</summary>
    public object? Optimistic => _optimistic;

    /// <summary>Chooses the peers to unchoke now; everyone else is choked.</summary>
    /// <param name="peers">Every connected peer.</param>
    /// <param name="seeding">True when we have the whole torrent: rank by our upload rate to them.</param>
    /// <remarks>A swarm runs a round on every interest change while a slot is free, so this is written for its cost:
    /// no query operators, and the stable orders they gave kept by ranking on the peer's place in the list (a
    /// 1,000-peer simulation spent a sixth of its time in choking rounds).</remarks>
    public IReadOnlySet<object> Decide(ReadOnlySpan<ChokeCandidate> peers, bool seeding)
    {
        var n = peers.Length;
        if (_ranked.Length < n) _ranked = new (double, int)[Math.Max(n, 2 * _ranked.Length)];
        var ranked = _ranked.AsSpan(0, n);
        for (var i = 0; i < n; i++) ranked[i] = (seeding ? peers[i].RateFromUs : peers[i].RateToUs, i);
        // Fastest first; equal rates keep the list's order (the sort is not stable of itself).
        ranked.Sort(static (x, y) => y.Rate.CompareTo(x.Rate) is var c && c != 0 ? c : x.Index.CompareTo(y.Index));
        var unchoke = new HashSet<object>();

        // Regular slots go to the best interested peers, deferred ones last. Uninterested peers faster than the slowest
        // of a full set of regular downloaders stay unchoked too, so they can start at once if they become interested.
        int regular = 0;
        var slowest = double.MaxValue;
        foreach (var deferred in (ReadOnlySpan<bool>)[false, true])
            foreach (var (rate, i) in ranked)
            {
                if (regular == RegularSlots) break;
                if (!peers[i].Interested || peers[i].Deferred != deferred) continue;
                unchoke.Add(peers[i].Key);
                slowest = Math.Min(slowest, rate);
                regular++;
            }
        var threshold = regular == RegularSlots && RegularSlots > 0 ? slowest : double.MaxValue;
        foreach (var (rate, i) in ranked)
            if (!peers[i].Interested && rate > threshold) unchoke.Add(peers[i].Key);

        var now = _time.GetUtcNow();
        ChokeCandidate? current = null;
        _choked.Clear();
        _waiting.Clear();
        foreach (var p in peers)
        {
            if (current is null && Equals(p.Key, _optimistic)) current = p;
            if (!p.Interested || unchoke.Contains(p.Key)) continue; // the current optimistic peer counts as choked
            _choked.Add(p);
            if (!p.Deferred) _waiting.Add(p);
        }
        // A peer that lost interest leaves the optimistic slot at once: an unchoke it does not use is a slot wasted. So
        // does a deferred one as soon as another peer waits.
        var rotate = current is not { } kept || now - _optimisticChosenAt >= OptimisticInterval || unchoke.Contains(kept.Key) || !kept.Interested
            || (kept.Deferred && _waiting.Count > 0);
        if (rotate)
        {
            _towardBehind = !_towardBehind; // downloading, the first rotation goes to the peer furthest behind, the second is drawn
            var pool = _waiting.Count > 0 ? _waiting : _choked;
            _optimistic = _towardBehind && !seeding ? FurthestBehind(pool) : DrawOptimistic(pool, now);
            _optimisticChosenAt = now;
        }
        if (_optimistic is not null) unchoke.Add(_optimistic);
        return unchoke;
    }

    // Decide's scratch, kept between calls: one call at a time (Choking decides under its lock on the choker).
    private (double Rate, int Index)[] _ranked = new (double, int)[64]; // grown as needed
    private readonly List<ChokeCandidate> _choked = [], _waiting = [];

    private bool _towardBehind; // the last rotation went to the peer furthest behind

    // The fewest pieces; of equals, the first in the list (a swarm lists its peers newest first).
    private static object? FurthestBehind(List<ChokeCandidate> choked)
    {
        if (choked.Count == 0) return null;
        var behind = choked[0];
        foreach (var p in choked)
            if (p.Held < behind.Held) behind = p;
        return behind.Key;
    }

    // Newcomers get three tickets, others one: BEP 3's "three times as likely".
    private object? DrawOptimistic(List<ChokeCandidate> choked, DateTimeOffset now)
    {
        if (choked.Count == 0) return null;
        int Weight(ChokeCandidate p) => now - p.ConnectedAt < NewPeerAge ? 3 : 1;
        var sum = 0;
        foreach (var p in choked) sum += Weight(p);
        var ticket = _random.Next(sum);
        foreach (var p in choked)
        {
            ticket -= Weight(p);
            if (ticket < 0) return p.Key;
        }
        return choked[^1].Key;
    }
}
