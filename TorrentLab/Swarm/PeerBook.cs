using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>Every peer address the session has heard of (trackers, the DHT, PEX, local discovery, the command line), how many each source gave, which of them to dial next,
/// and who is banned for the rest of the session.</summary>
/// <remarks>Thread-safe. An address is dialled again after a failure, a refusal or a disconnect, after a back-off that
/// doubles with each failure in a row up to <see cref="MaxBackoff"/>: never forgotten, since a peer that refused us
/// when it was full (or was briefly down) may take us later. A banned address or peer id is never dialled or accepted
/// again, nor is a seed met while we only seed.</remarks>
internal sealed class PeerBook
{
    /// <summary>Failed dials (or connections that ended without data) in a row after which the back-off stops growing.</summary>
    public const int MaxFailures = 5;

    /// <summary>The longest wait before an address is tried again (2 s doubled <see cref="MaxFailures"/> times).</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2 << MaxFailures);

    private const int MaxKnown = 2000; // bounds memory against a tracker answering with floods of peers
    private static readonly TimeSpan BaseBackoff = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private readonly Dictionary<IPEndPoint, Entry> _known = [];
    // The addresses that may be dialled (neither busy nor retired), kept sorted so that a dial or a look at the next
    // due time is a step into a tree, not a walk of every address: the dial loop of a swarm that knows a thousand
    // peers asks after every dial and every connection that ends (bench/notes/swarm.md, "The simulator's cost").
    // Not yet due at the last look: by due time. Due then: by dial order (BEP 40 priority, then the order they came),
    // and by due time again, for NextTry.
    private readonly SortedSet<Entry> _waiting = new(ByDueTime.Instance);
    private readonly SortedSet<Entry> _due = new(ByDialOrder.Instance);
    private readonly SortedSet<Entry> _dueByTime = new(ByDueTime.Instance);
    private DateTimeOffset _dueAt = DateTimeOffset.MinValue; // the last look: every entry of _due is due by then
    private int _added;                                     // the order in which addresses came
    private readonly HashSet<IPEndPoint> _bannedAddresses = [];
    private readonly HashSet<PeerId> _bannedIds = [];
    private readonly HashSet<IPEndPoint> _self = [];
    private readonly PeerScope _scope;
    private readonly IpBlocklist? _blocklist;
    private readonly int[] _sources = new int[Enum.GetValues<PeerSource>().Length];

    /// <param name="scope">Which addresses may be dialled; unspecified, broadcast, multicast and link-local never are.</param>
    /// <param name="blocklist">Addresses never dialled (<see cref="SessionSettings.Blocklist"/>), read at each add and
    /// each dial, so a list loaded while the torrent runs retires the addresses it blocks.</param>
    public PeerBook(PeerScope scope = PeerScope.Any, IpBlocklist? blocklist = null) => (_scope, _blocklist) = (scope, blocklist);

    /// <summary>Addresses refused by the dial policy or the blocklist so far (counted, never dialled).</summary>
    public int Refused { get; private set; }

    /// <summary>Hears each address refused before a dial, outside the book's lock: true when the blocklist refused it,
    /// false for the dial policy (a torrent's diagnosis lists them).</summary>
    public Action<IPEndPoint, bool>? OnRefused { get; init; }

    /// <summary>Adds addresses (duplicates, banned ones and those the dial policy refuses are ignored); returns how
    /// many were new (counted for <paramref name="source"/>).</summary>
    public int Add(IEnumerable<IPEndPoint> endpoints, PeerSource source = PeerSource.Given)
    {
        var added = 0;
        List<(IPEndPoint, bool Blocked)>? refused = null;
        lock (_lock)
        {
            foreach (var endpoint in endpoints)
            {
                if (_known.Count >= MaxKnown) break;
                var blocked = Blocked(endpoint); // one look at the blocklist: a long list is a search each time
                if (blocked || !PeerAddressPolicy.MayDial(endpoint, _scope))
                {
                    Refused++;
                    if (OnRefused is not null) (refused ??= []).Add((endpoint, blocked));
                    continue;
                }
                if (_known.ContainsKey(endpoint) || _bannedAddresses.Contains(endpoint) || _self.Contains(endpoint)) continue;
                var entry = NewEntry(endpoint);
                _known[endpoint] = entry;
                Attach(entry);
                added++;
            }
            _sources[(int)source] += added;
        }
        foreach (var (endpoint, blocked) in refused ?? []) OnRefused!(endpoint, blocked);
        return added;
    }

    /// <summary>New addresses each source gave so far.</summary>
    public PeerSources Sources
    {
        get
        {
            lock (_lock)
                return new(_sources[(int)PeerSource.Given], _sources[(int)PeerSource.Tracker], _sources[(int)PeerSource.Pex], _sources[(int)PeerSource.Dht],
                    _sources[(int)PeerSource.Lsd]);
        }
    }

    /// <summary>Marks our own listening address, which a tracker may hand back to us: never dial it.</summary>
    public void AddSelf(IPEndPoint endpoint)
    {
        lock (_lock)
        {
            _self.Add(endpoint);
            if (_known.Remove(endpoint, out var entry)) Detach(entry);
        }
    }

    /// <summary>Marks the session's listening addresses and the loopback ones on its port as ours; BEP 40 ranks peers by
    /// our address as they see it, so a session bound to one address is seen there until peers agree on another.</summary>
    public void AddSelves(IReadOnlyList<IPEndPoint> listening, int port)
    {
        foreach (var self in listening.Append(new IPEndPoint(IPAddress.Loopback, port)).Append(new IPEndPoint(IPAddress.IPv6Loopback, port)))
            AddSelf(self);
        lock (_lock) if (_ourAddress is null) SetOurAddress(listening.FirstOrDefault(e => !e.Address.Equals(IPAddress.Any) && !e.Address.Equals(IPAddress.IPv6Any)));
    }

    /// <summary>BEP 40: our address as peers see it (the port is ours too), once known; null dials in the order the
    /// addresses came.</summary>
    public IPEndPoint? Self
    {
        get { lock (_lock) return _ourAddress; }
        set { lock (_lock) SetOurAddress(value); }
    }

    private IPEndPoint? _ourAddress;
    private (IPAddress Reporter, IPAddress Reported)? _lastReport;

    /// <summary>A peer told us our address (BEP 10's <c>yourip</c>). BEP 40 says to use it "as a hint, but should not
    /// blindly trust it": it becomes <see cref="Self"/> once a second peer, from another address, reports the same.</summary>
    public void OnAddressReported(IPAddress reporter, IPAddress reported, int ourPort)
    {
        lock (_lock)
        {
            if (_lastReport is { } last && last.Reported.Equals(reported) && !last.Reporter.Equals(reporter))
                SetOurAddress(new IPEndPoint(reported, ourPort));
            _lastReport = (reporter, reported);
        }
    }

    /// <summary>Takes the next address worth dialling now (marking it as connecting), or null: of those due, the one
    /// of highest BEP 40 priority once <see cref="Self"/> is known, else the one that came first.</summary>
    public IPEndPoint? TakeNext(DateTimeOffset now)
    {
        List<IPEndPoint>? blocked = null;
        try { return TakeNextLocked(now, ref blocked); }
        finally
        {
            // Each address found blocked is told once (it is retired): not only the last of them.
            if (blocked is not null) foreach (var endpoint in blocked) OnRefused?.Invoke(endpoint, true);
        }
    }

    private IPEndPoint? TakeNextLocked(DateTimeOffset now, ref List<IPEndPoint>? blocked)
    {
        lock (_lock)
        {
            BringDue(now);
            // A blocklist retires every due address it blocks that would have come up before the one dialled: with BEP
            // 40's order that is every due address, told in the order they came; without it, those that came first.
            if (_blocklist is not null && _due.Count > 0)
            {
                var retire = _ourAddress is null
                    ? [.. _due.TakeWhile(e => Blocked(e.Endpoint))]
                    : _due.Where(e => Blocked(e.Endpoint)).OrderBy(e => e.Added).ToList();
                foreach (var entry in retire)
                {
                    Detach(entry);
                    entry.Retired = true; // blocked since it was added: never dialled
                    (blocked ??= []).Add(entry.Endpoint);
                }
            }
            if (_due.Min is not { } best) return null;
            Detach(best);
            best.Busy = true;
            return best.Endpoint;
        }
    }

    /// <summary>Moves every address due by <paramref name="now"/> to the due set (and back, should a clock go back).</summary>
    private void BringDue(DateTimeOffset now)
    {
        if (now < _dueAt)
        {
            foreach (var entry in _dueByTime)
            {
                entry.Place = Place.Waiting;
                _waiting.Add(entry);
            }
            _due.Clear();
            _dueByTime.Clear();
        }
        _dueAt = now;
        while (_waiting.Min is { } first && first.NextTry <= now)
        {
            _waiting.Remove(first);
            AddDue(first);
        }
    }

    private Entry NewEntry(IPEndPoint endpoint) =>
        new(endpoint, _added++) { Priority = _ourAddress is null ? 0 : PeerPriority.Of(_ourAddress, endpoint) };

    /// <summary>Puts an entry that may be dialled in its set; one busy or retired stays out of them.</summary>
    private void Attach(Entry entry)
    {
        if (entry.Busy || entry.Retired) return;
        if (entry.NextTry <= _dueAt) AddDue(entry);
        else
        {
            entry.Place = Place.Waiting;
            _waiting.Add(entry);
        }
    }

    private void AddDue(Entry entry)
    {
        entry.Place = Place.Due;
        _due.Add(entry);
        _dueByTime.Add(entry);
    }

    /// <summary>Takes an entry out of its set, before a change to what orders it or whether it may be dialled.</summary>
    private void Detach(Entry entry)
    {
        if (entry.Place == Place.Waiting) _waiting.Remove(entry);
        else if (entry.Place == Place.Due)
        {
            _due.Remove(entry);
            _dueByTime.Remove(entry);
        }
        entry.Place = Place.None;
    }

    /// <summary>BEP 40's priorities follow our address: each is computed once per address it changes to.</summary>
    private void SetOurAddress(IPEndPoint? ours)
    {
        var same = Equals(ours, _ourAddress);
        _ourAddress = ours;
        if (same) return;
        var due = _dueByTime.ToList();
        _due.Clear();
        foreach (var entry in _known.Values) entry.Priority = ours is null ? 0 : PeerPriority.Of(ours, entry.Endpoint);
        foreach (var entry in due) _due.Add(entry);
    }

    private bool Blocked(IPEndPoint endpoint) => _blocklist is { } list && list.Contains(endpoint.Address);

    /// <summary>Takes <paramref name="endpoint"/> for a dial now, whatever its back-off (BEP 55: both sides of a holepunch
    /// must dial at once), adding it if new; false when the dial policy refuses it, it is banned, ours, a retired seed,
    /// or already being dialled or connected.</summary>
    public bool TakeNow(IPEndPoint endpoint, PeerSource source)
    {
        lock (_lock)
        {
            Add([endpoint], source); // the same rules as any address heard of: refused, banned and ours stay out
            if (!_known.TryGetValue(endpoint, out var entry) || entry.Busy || entry.Retired || Blocked(endpoint)) return false;
            Detach(entry);
            entry.Busy = true;
            return true;
        }
    }

    /// <summary>When the next address becomes worth dialling (now or after its back-off); null when none is left to
    /// dial, so a dialler may sleep until an address is added.</summary>
    public DateTimeOffset? NextTry()
    {
        lock (_lock)
        {
            // What TakeNext would give: every address neither busy nor retired, however often it failed (it is tried
            // again after the capped back-off).
            var (due, waiting) = (_dueByTime.Min, _waiting.Min);
            if (due is null) return waiting?.NextTry;
            return waiting is null || due.NextTry <= waiting.NextTry ? due.NextTry : waiting.NextTry;
        }
    }

    /// <summary>Addresses known (dialable, not banned).</summary>
    public int Known { get { lock (_lock) return _known.Count; } }

    /// <summary>True while some known address may still be dialled (now or after its back-off).</summary>
    public bool HasCandidates
    {
        get { lock (_lock) return _waiting.Count + _due.Count > 0; }
    }

    /// <summary>The dial (or the connection) to <paramref name="endpoint"/> ended; <paramref name="failed"/> doubles the
    /// back-off (up to <see cref="MaxBackoff"/>), a connection that delivered data resets it.</summary>
    public void Release(IPEndPoint endpoint, bool failed, DateTimeOffset now) => Release(endpoint, failed, now, null);

    /// <summary>As <see cref="Release(IPEndPoint, bool, DateTimeOffset)"/>, but tried again no sooner than
    /// <paramref name="retryAfter"/> (a peer we are already connected to by its own dial).</summary>
    public void Release(IPEndPoint endpoint, bool failed, DateTimeOffset now, TimeSpan? retryAfter)
    {
        lock (_lock)
        {
            if (!_known.TryGetValue(endpoint, out var entry)) return;
            Detach(entry);
            entry.Busy = false;
            entry.Failures = failed ? entry.Failures + 1 : 0;
            var backoff = BaseBackoff * (1 << Math.Min(entry.Failures, MaxFailures));
            entry.NextTry = now + (retryAfter is { } later && later > backoff ? later : backoff);
            Attach(entry);
        }
    }

    /// <summary>Every waiting address is due now, its failures forgotten: the network was down (a bound interface), so
    /// the dials that failed then said nothing about the peers.</summary>
    public void RetryAllNow(DateTimeOffset now)
    {
        lock (_lock)
        {
            foreach (var entry in _known.Values)
            {
                if (entry.Busy || entry.Retired || entry.Place == Place.None) continue;
                Detach(entry);
                entry.Failures = 0;
                entry.NextTry = now;
                Attach(entry);
            }
        }
    }

    /// <summary>Never dials <paramref name="endpoint"/> again this session (a seed met while we only seed: BEP 3's
    /// tracker lists do not say who is a seed, so we learn it from its bitfield and leave it alone afterwards). An
    /// address not known yet (a seed that dialled us) is kept as retired, so a tracker that names it later adds nothing.</summary>
    public void Retire(IPEndPoint endpoint)
    {
        lock (_lock)
        {
            if (!_known.TryGetValue(endpoint, out var entry))
            {
                if (_known.Count >= MaxKnown) return;
                _known[endpoint] = entry = NewEntry(endpoint);
            }
            Detach(entry);
            entry.Busy = false;
            entry.Retired = true;
        }
    }

    /// <summary>The seeds retired so far (a seeding torrent keeps them while it holds no swarm).</summary>
    public IReadOnlyList<IPEndPoint> RetiredSeeds()
    {
        lock (_lock) return [.. _known.Where(pair => pair.Value.Retired).Select(pair => pair.Key)];
    }

    /// <summary>Seeds met by an earlier swarm of this torrent: listed as retired, so never dialled.</summary>
    public void AddRetired(IEnumerable<IPEndPoint> seeds)
    {
        foreach (var seed in seeds) Retire(seed);
    }

    /// <summary>Bans a peer for the session: its address is never dialled and its id never accepted again. False when
    /// the address was already banned.</summary>
    public bool Ban(IPEndPoint endpoint, PeerId? id)
    {
        lock (_lock)
        {
            var added = _bannedAddresses.Add(endpoint);
            if (id is { } peerId) _bannedIds.Add(peerId);
            if (_known.Remove(endpoint, out var entry)) Detach(entry);
            return added;
        }
    }

    public bool IsBanned(IPEndPoint endpoint) { lock (_lock) return _bannedAddresses.Contains(endpoint); }

    public bool IsBanned(PeerId id) { lock (_lock) return _bannedIds.Contains(id); }

    private enum Place { None, Waiting, Due }

    private sealed class Entry(IPEndPoint endpoint, int added)
    {
        public readonly IPEndPoint Endpoint = endpoint;
        public readonly int Added = added;   // the order it came in: the dial order without BEP 40, and its tie-break
        public uint Priority;                // BEP 40, with our address as it was last set
        public Place Place;                  // the set it is in
        public bool Busy;           // being dialled or connected
        public int Failures;
        public bool Retired;        // a seed met while we only seed
        public DateTimeOffset NextTry;
    }

    /// <summary>Earliest due first; the order they came breaks ties, so no two entries compare equal.</summary>
    private sealed class ByDueTime : IComparer<Entry>
    {
        public static readonly ByDueTime Instance = new();

        public int Compare(Entry? a, Entry? b)
        {
            var byTime = a!.NextTry.UtcTicks.CompareTo(b!.NextTry.UtcTicks);
            return byTime != 0 ? byTime : a.Added.CompareTo(b.Added);
        }
    }

    /// <summary>What TakeNext dials first: BEP 40's highest priority (all 0 while our address is unknown), then the
    /// one that came first.</summary>
    private sealed class ByDialOrder : IComparer<Entry>
    {
        public static readonly ByDialOrder Instance = new();

        public int Compare(Entry? a, Entry? b)
        {
            var byPriority = b!.Priority.CompareTo(a!.Priority);
            return byPriority != 0 ? byPriority : a.Added.CompareTo(b.Added);
        }
    }
}
