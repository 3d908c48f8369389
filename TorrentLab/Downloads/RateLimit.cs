namespace TorrentLab.Downloads;

/// <summary>A token bucket for payload bytes (piece data), settable while a download runs; chained to a parent (one
/// limit shared by every torrent of a client) so a transfer must get past both.</summary>
/// <remarks>
/// <para>Tokens are bytes. They refill at <see cref="BytesPerSecond"/> up to a quarter second's worth (at least one
/// 16 KiB block, so a block always fits). A take is granted while the bucket holds any token and may leave it in debt
/// by less than one chunk, which later takes repay: over a long window the bytes granted follow the rate exactly.</para>
/// <para>Once a take was refused, somebody waits for tokens, and what the rate earns until the next take is kept for it
/// up to a second's worth: a waiter woken late (a loaded machine wakes timers hundreds of milliseconds late) used to
/// find a quarter second and lose the rest. It is no burst beyond the rate: the tokens were earned from an empty
/// bucket while nothing was sent.</para>
/// <para>The swarm takes tokens for blocks it requests (download) and sends (upload) without blocking
/// (<see cref="TryTake"/>); when none are left it waits <see cref="WaitAsync"/> and tries again. A new rate is seen by
/// the next take, and a waiter looks again at least every 250 ms.</para>
/// <para>Not <c>System.Threading.RateLimiting</c>'s <c>TokenBucketRateLimiter</c>: it ships with ASP.NET Core's shared
/// framework (or as a package), not with the base runtime this library is held to, and it lacks what the swarm needs:
/// a rate changed while transfers run (its options are fixed when it is made), a bucket under a parent that gets its
/// tokens back when the parent refuses (its chained limiter keeps what the first bucket granted), a take that may leave
/// a bucket in debt by part of a block (it refuses more permits than it holds), and refunds for requests never sent.</para>
/// </remarks>
public sealed class RateLimit
{
    private const int MinBurst = 16 * 1024;                               // one block: the unit the swarm takes
    private static readonly TimeSpan MinWaitStep = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxWaitStep = TimeSpan.FromMilliseconds(250); // a new rate is picked up this fast
    private const double OwedSeconds = 1.0;                               // kept for a refused take at most

    private readonly TimeProvider _clock;
    private Lock? _lock; // made when first needed: ten thousand idle torrents' unlimited buckets hold none
    private long _rate;
    private double _tokens;
    private long _stamp;
    private bool _owed; // a take was refused and none granted since: tokens earned meanwhile are kept for it
    private RateLimit? _also; // a second bucket above this one (a session's limit over a torrent's chain): Beneath

    /// <summary>A bucket of <paramref name="bytesPerSecond"/> (0: unlimited) under <paramref name="parent"/>, if any.</summary>
    public RateLimit(long bytesPerSecond = 0, RateLimit? parent = null, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        _clock = clock ?? parent?._clock ?? TimeProvider.System;
        Parent = parent;
        _rate = bytesPerSecond;
        _tokens = Capacity(bytesPerSecond);
        _stamp = _clock.GetTimestamp();
    }

    /// <summary>The shared limit this one sits under (a client's global limit), or null.</summary>
    public RateLimit? Parent { get; }

    /// <summary>Payload bytes per second allowed; 0 is unlimited. Takes effect at the next take.</summary>
    public long BytesPerSecond
    {
        get => Volatile.Read(ref _rate);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            if (value == 0 && Volatile.Read(ref _rate) == 0) return; // unlimited stays unlimited (a load sets every torrent's)
            lock (Sync)
            {
                Refill();
                if (_rate == 0) _tokens = Capacity(value);          // was unlimited: start with a full bucket
                else if (value == _rate) return;                    // set again: what a waiter is owed stays
                Volatile.Write(ref _rate, value);
                _tokens = Math.Min(_tokens, Capacity(value));     // a lower rate must not inherit the old burst
            }
        }
    }

    /// <summary>The lowest rate of this bucket and those above it (0 when none has one): what a transfer through the
    /// chain gets at most.</summary>
    internal long LowestRate
    {
        get
        {
            var lowest = BytesPerSecond;
            foreach (var above in (ReadOnlySpan<RateLimit?>)[Parent, _also])
                if (above?.LowestRate is > 0 and var rate && (lowest == 0 || rate < lowest)) lowest = rate;
            return lowest;
        }
    }

    /// <summary>True when this bucket or one above it has a rate.</summary>
    public bool IsLimited => BytesPerSecond > 0 || Parent is { IsLimited: true } || _also is { IsLimited: true };

    /// <summary>A bucket that takes from <paramref name="own"/>'s chain and then from <paramref name="above"/>: how a
    /// session puts its global limit over a torrent limit made without it as a parent (both are kept live).</summary>
    internal static RateLimit Beneath(RateLimit own, RateLimit above) => new(0, own) { _also = above };

    /// <summary>True when <paramref name="limit"/> is this bucket or one above it.</summary>
    internal bool Reaches(RateLimit limit) =>
        ReferenceEquals(this, limit) || Parent?.Reaches(limit) == true || _also?.Reaches(limit) == true;

    /// <summary>Takes tokens for up to <paramref name="count"/> chunks of <paramref name="chunkBytes"/> each from this
    /// bucket and every parent; returns how many chunks may go now (0 when a bucket is empty).</summary>
    public int TryTake(int count, int chunkBytes) => TryTakeOnCredit(count, chunkBytes, credit: 0);

    /// <summary><see cref="TryTake"/> from buckets that may owe up to <paramref name="credit"/> bytes more:
    /// a take is granted while a bucket holds more than minus <paramref name="credit"/>, and later takes wait until
    /// it is repaid. For a taker that comes for its chunk only now and then, beside one that takes every token the
    /// moment it is there (upload turns: a peer paced by its connection beside the turn's holder).</summary>
    internal int TryTakeOnCredit(int count, int chunkBytes, long credit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(credit);
        var granted = TakeOwn(count, chunkBytes, credit);
        if (granted == 0) return 0;
        if (Parent is not null)
        {
            var above = Parent.TryTakeOnCredit(granted, chunkBytes, credit);
            if (above < granted) RefundOwn((long)(granted - above) * chunkBytes);
            granted = above;
        }
        if (granted == 0 || _also is null) return granted;
        var also = _also.TryTakeOnCredit(granted, chunkBytes, credit);
        if (also < granted)
        {
            var back = (long)(granted - also) * chunkBytes;
            RefundOwn(back);
            Parent?.Refund(back);
        }
        return also;
    }

    /// <summary>Like <see cref="TryTake"/>, but only from tokens that would otherwise be lost: every bucket of the chain
    /// must be full (a quarter second of its rate that nobody took). What a sender of lower priority takes, so that it
    /// never delays one that takes tokens as they come, and the rate is never left unused while it waits.</summary>
    internal int TryTakeSpare(int count, int chunkBytes) => SpareDelay == TimeSpan.Zero ? TryTake(count, chunkBytes) : 0;

    /// <summary>How long until every bucket of the chain is full, if nobody takes meanwhile.</summary>
    private TimeSpan SpareDelay
    {
        get
        {
            var own = TimeSpan.Zero;
            if (Volatile.Read(ref _rate) != 0)
            {
                lock (Sync)
                {
                    Refill();
                    var full = Capacity(_rate);
                    own = _rate == 0 || _tokens >= full ? TimeSpan.Zero : TimeSpan.FromSeconds((full - _tokens) / _rate);
                }
            }
            var above = Parent?.SpareDelay ?? TimeSpan.Zero;
            var also = _also?.SpareDelay ?? TimeSpan.Zero;
            var most = own > above ? own : above;
            return most > also ? most : also;
        }
    }

    /// <summary>Waits until <see cref="TryTakeSpare"/> could be granted if nobody takes meanwhile, or 250 ms at most (the
    /// caller looks again at whatever changed after each wait).</summary>
    internal async Task WaitForSpareAsync(CancellationToken ct)
    {
        var delay = SpareDelay; // at least 1 ms even when it is zero: a take refused by a bucket above must not spin
        var step = delay < MinWaitStep ? MinWaitStep : delay > MaxWaitStep ? MaxWaitStep : delay;
        await Task.Delay(step, _clock, ct).ConfigureAwait(false);
    }

    /// <summary>Gives back tokens taken for chunks that were not used after all (here and in every parent).</summary>
    public void Refund(long bytes)
    {
        if (bytes <= 0) return;
        RefundOwn(bytes);
        Parent?.Refund(bytes);
        _also?.Refund(bytes);
    }

    /// <summary>How long until a take may be granted: zero when one would be now.</summary>
    public TimeSpan Delay
    {
        get
        {
            var own = TimeSpan.Zero;
            if (Volatile.Read(ref _rate) != 0)
            {
                lock (Sync)
                {
                    Refill();
                    own = _rate == 0 || _tokens > 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _tokens) / _rate);
                }
            }
            var above = Parent?.Delay ?? TimeSpan.Zero;
            var also = _also?.Delay ?? TimeSpan.Zero;
            var most = own > above ? own : above;
            return most > also ? most : also;
        }
    }

    /// <summary>Waits until a take may be granted (steps of at most 250 ms, so a changed rate is seen).</summary>
    public async Task WaitAsync(CancellationToken ct)
    {
        for (var delay = Delay; delay > TimeSpan.Zero; delay = Delay)
        {
            // At least 1 ms: Task.Delay completes a shorter delay at once, which would spin.
            var step = delay < MinWaitStep ? MinWaitStep : delay > MaxWaitStep ? MaxWaitStep : delay;
            await Task.Delay(step, _clock, ct).ConfigureAwait(false);
        }
    }

    private static double Capacity(long rate) => Math.Max(rate / 4.0, MinBurst);

    private Lock Sync => LazyInitializer.EnsureInitialized(ref _lock);

    private int TakeOwn(int count, int chunkBytes, long credit)
    {
        if (count == 0 || Volatile.Read(ref _rate) == 0) return count; // unlimited: no lock taken
        lock (Sync)
        {
            if (_rate == 0) return count;
            Refill();
            if (_tokens + credit <= 0)
            {
                _owed = true;
                return 0;
            }
            var granted = (int)Math.Min(count, Math.Ceiling((_tokens + credit) / chunkBytes));
            _tokens -= (double)granted * chunkBytes;
            _owed = false;
            return granted;
        }
    }

    private void RefundOwn(long bytes)
    {
        if (Volatile.Read(ref _rate) == 0) return;
        lock (Sync)
        {
            if (_rate == 0) return;
            Refill();
            _tokens = Math.Min(_tokens + bytes, Capacity(_rate));
        }
    }

    /// <summary>Adds the tokens earned since the last look (under the lock).</summary>
    private void Refill()
    {
        var now = _clock.GetTimestamp();
        var seconds = (double)(now - _stamp) / _clock.TimestampFrequency;
        _stamp = now;
        if (_rate <= 0 || seconds <= 0) return;
        var ceiling = _owed ? Math.Max(_rate * OwedSeconds, Capacity(_rate)) : Capacity(_rate);
        _tokens = Math.Min(_tokens + seconds * _rate, ceiling);
    }
}
