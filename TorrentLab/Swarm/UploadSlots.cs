namespace TorrentLab.Swarm;

/// <summary>How many upload slots the choker fills: the configured ones, and more while interested peers wait.</summary>
/// <remarks>
/// BEP 3's four (DownloadOptions.UploadSlots) are a floor, not a goal: four
/// peers need not take all an uplink can give, since each asks only for what we have that it lacks and shares its own
/// download among everyone who unchokes it. Two rules open more while interested peers wait, and close them again:
/// - with a torrent upload limit, until the limit is filled;
/// - without one, downloading or seeding, while every peer we upload to gets a rate that clears a threshold rising
///   with each slot (libtorrent's rate-based choker), so slots are not spread so thin that none gets a useful share.
///   Downloading, the slots beyond four go by tit-for-tat's ranking like the rest. A fast peer whose four unchoked
///   peers cannot take its upload (each shares its own download among all who unchoke it) left it idle while slow
///   peers waited choked: in the simulated swarm of 100 peers of measured capacities and 100 MiB, the 784 kbit/s
///   class got 0.2-0.3 of its download for the first 500 s and T/T_min was 2.80; with the rule while downloading,
///   0.8-1.0 from the start. A super-seed keeps its four (BEP 16 wants each piece sent about once, and more slots made
///   it send more of them itself).
/// </remarks>
internal sealed class UploadSlots
{
    /// <summary>The rate a peer in the first slot must get for the slots to grow: 1 KiB/s (libtorrent's
    /// <c>rate_choker_initial_threshold</c>).</summary>
    public const double FirstSlotThreshold = 1024;

    /// <summary>What each further slot adds to its peer's threshold: 2 KiB/s (libtorrent's rate-based choker). The n-th
    /// fastest peer must get 1 + 2 (n - 1) KiB/s, so n slots need about n² KiB/s in all: 16 slots fill 256 KiB/s.</summary>
    public const double ThresholdStep = 2048;

    /// <summary>A peer's upload rate counts for the rule once it has been unchoked this long: its requests have come and
    /// a few blocks gone out (the rate meter counts from the first byte after a silence).</summary>
    public static readonly TimeSpan RateSettles = TimeSpan.FromSeconds(3);

    /// <summary>Most slots the rate rule opens, as a multiple of the configured ones (16 for BEP 3's four); the limit rule
    /// opens at most twice them.</summary>
    private const int MaxSlotFactor = 4;

    private readonly TorrentSwarm _swarm;
    private readonly Downloads.DownloadOptions _options;
    private readonly Choker _choker;
    private readonly Downloads.RateMeter _up;
    private readonly SuperSeeding _superSeed;
    private int _extraSlots; // regular slots beyond the configured ones
    private long _lastSlotRound; // a timestamp of Time; 0: none yet

    public UploadSlots(TorrentSwarm swarm, Downloads.DownloadOptions options, Choker choker, Downloads.RateMeter up, SuperSeeding superSeed)
    {
        _swarm = swarm;
        _options = options;
        _choker = choker;
        _up = up;
        _superSeed = superSeed;
    }

    /// <summary>Regular slots beyond the configured ones, which the choker fills too.</summary>
    public int Extra => _extraSlots;

    /// <summary>Runs the slot rule for this check of the timer (every second): slots close, and with a limit open, at
    /// most once a round (<see cref="Choker.Interval"/> since the last, whatever choke decisions happened between:
    /// in a busy swarm an event runs the choker every few seconds, which would put off a rule tied to the choke round
    /// for good); without a limit a slot may open at any check. True when the slots changed.</summary>
    /// <param name="unchoked">The peers the last round unchoked (<see cref="Choking"/> keeps them): without a limit the
    /// rule reads their rates, and of the others only whether one waits.</param>
    public bool Adjust(SwarmPeer[] unchoked)
    {
        var round = _lastSlotRound == 0 || _swarm.Time.GetElapsedTime(_lastSlotRound) >= Choker.Interval;
        if (round) _lastSlotRound = _swarm.Time.GetTimestamp();
        var before = _extraSlots;
        if (_options.UploadLimit is { BytesPerSecond: > 0 } cap)
        {
            if (round) AdjustSlotsToUploadCap(cap.BytesPerSecond);
        }
        else if (!_superSeed.Started) AdjustSlotsToRates(round, unchoked);
        else _extraSlots = 0;
        return _extraSlots != before;
    }

    private int MaxExtraSlots => (MaxSlotFactor - 1) * _options.UploadSlots;

    /// <summary>A peer the choker counts as interested (what <see cref="Choking.Run"/> gives it).</summary>
    private bool WantsSlot(SwarmPeer peer) =>
        peer.Connection.PeerInterested && !peer.IgnoredUnchoke(Choking.IgnoredUnchokeAfter);

    /// <summary>With an upload limit: while our upload stays under 90 % of it and interested peers wait choked, each
    /// round opens one more slot (up to twice the configured number, libtorrent's default of eight for four); at the
    /// limit, one closes.</summary>
    private void AdjustSlotsToUploadCap(double cap)
    {
        _extraSlots = Math.Min(_extraSlots, _options.UploadSlots);
        var rate = _up.BytesPerSecond;
        var waiting = 0;
        foreach (var p in _swarm.PeersSnapshot()) if (p.Choking && p.Connection.PeerInterested) waiting++;
        if (rate < 0.9 * cap && waiting > 0) _extraSlots = Math.Min(_extraSlots + 1, _options.UploadSlots);
        else if (rate >= 0.97 * cap && _extraSlots > 0) _extraSlots--;
    }

    /// <summary>Without an upload limit there is no target to fill, so the peers' own rates decide: ranked by the rate
    /// we upload to them, the n-th must get at least <see cref="FirstSlotThreshold"/> + (n - 1) ×
    /// <see cref="ThresholdStep"/>. The slots wanted are libtorrent's count, those that clear their thresholds plus one
    /// to try, where a peer unchoked less than <see cref="RateSettles"/> ago counts as clearing until its rate shows.
    /// While more are wanted than the choker fills and interested peers wait, one more slot opens at each check (a
    /// second: a growing set is probed a peer a second, not a peer a round); at a round, one closes while fewer are
    /// wanted, never below the configured ones, at most <see cref="MaxSlotFactor"/> times them.</summary>
    private void AdjustSlotsToRates(bool round, SwarmPeer[] unchoked)
    {
        _rates.Clear();
        var unsettled = 0;
        foreach (var p in unchoked)
        {
            if (p.Choking || !WantsSlot(p)) continue;
            if (p.UnchokedFor is { } held && held >= RateSettles) _rates.Add(p.Up.BytesPerSecond);
            else unsettled++;
        }
        _rates.Sort((a, b) => b.CompareTo(a));
        var clearing = 0;
        while (clearing < _rates.Count && _rates[clearing] >= FirstSlotThreshold + clearing * ThresholdStep) clearing++;
        var wanted = clearing + unsettled + 1; // those that clear their thresholds, those not measured yet, one to try
        var slots = _choker.RegularSlots + 1;  // with the optimistic one
        if (wanted > slots && Array.Exists(_swarm.PeersSnapshot(), p => p.Choking && WantsSlot(p))) _extraSlots = Math.Min(_extraSlots + 1, MaxExtraSlots);
        else if (round && wanted < slots && _extraSlots > 0) _extraSlots--;
    }

    private readonly List<double> _rates = []; // AdjustSlotsToRates', once a second
}
