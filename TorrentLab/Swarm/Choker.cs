namespace TorrentLab.Swarm;

/// <summary>A peer as the choker sees it.</summary>
/// <param name="Key">Whatever identifies the peer to the caller.</param>
/// <param name="RateToUs">Payload bytes per second the peer sends us (what a downloader reciprocates).</param>
/// <param name="RateFromUs">Payload bytes per second we send the peer (what a seeder ranks by).</param>
/// <param name="Interested">The peer told us it is interested.</param>
/// <param name="ConnectedAt">When the connection opened (newcomers get a better optimistic chance).</param>
/// <param name="Deferred">It ignored its last unchoke: an interested peer that comes after every other one, for the
/// regular slots and the optimistic one, but still takes a slot nobody else wants.</param>
internal sealed record ChokeCandidate(object Key, double RateToUs, double RateFromUs, bool Interested, DateTimeOffset ConnectedAt,
    bool Deferred = false);

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
    public IReadOnlySet<object> Decide(IReadOnlyList<ChokeCandidate> peers, bool seeding)
    {
        double Rate(ChokeCandidate p) => seeding ? p.RateFromUs : p.RateToUs;
        var ranked = peers.OrderByDescending(Rate).ToList();
        var unchoke = new HashSet<object>();

        // Regular slots go to the best interested peers, deferred ones last. Uninterested peers faster than the slowest
        // of a full set of regular downloaders stay unchoked too, so they can start at once if they become interested.
        var regular = ranked.Where(p => p.Interested).OrderBy(p => p.Deferred).Take(RegularSlots).ToList();
        foreach (var peer in regular) unchoke.Add(peer.Key);
        var threshold = regular.Count == RegularSlots && RegularSlots > 0 ? regular.Min(Rate) : double.MaxValue;
        foreach (var peer in ranked)
            if (!peer.Interested && Rate(peer) > threshold) unchoke.Add(peer.Key);

        var now = _time.GetUtcNow();
        var current = peers.FirstOrDefault(p => Equals(p.Key, _optimistic));
        var choked = peers.Where(p => p.Interested && !unchoke.Contains(p.Key)).ToList(); // the current optimistic peer too
        var waiting = choked.Where(p => !p.Deferred).ToList();
        // A peer that lost interest leaves the optimistic slot at once: an unchoke it does not use is a slot wasted. So
        // does a deferred one as soon as another peer waits.
        var rotate = current is null || now - _optimisticChosenAt >= OptimisticInterval || unchoke.Contains(current.Key) || !current.Interested
            || (current.Deferred && waiting.Count > 0);
        if (rotate)
        {
            _optimistic = DrawOptimistic(waiting.Count > 0 ? waiting : choked, now);
            _optimisticChosenAt = now;
        }
        if (_optimistic is not null) unchoke.Add(_optimistic);
        return unchoke;
    }

    // Newcomers get three tickets, others one: BEP 3's "three times as likely".
    private object? DrawOptimistic(IReadOnlyList<ChokeCandidate> choked, DateTimeOffset now)
    {
        if (choked.Count == 0) return null;
        var weights = choked.Select(p => now - p.ConnectedAt < NewPeerAge ? 3 : 1).ToArray();
        var ticket = _random.Next(weights.Sum());
        for (var i = 0; i < choked.Count; i++)
        {
            ticket -= weights[i];
            if (ticket < 0) return choked[i].Key;
        }
        return choked[^1].Key;
    }
}
