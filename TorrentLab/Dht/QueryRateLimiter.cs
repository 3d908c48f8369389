using System.Net;

namespace TorrentLab.Dht;

/// <summary>Decides whether a query from another node gets an answer: a token bucket per source address and a cap
/// on answers per second over all sources, so the node is never a flood's amplifier.</summary>
/// <remarks>Bounded memory: at most <see cref="MaxSources"/> addresses are tracked; when the table is full, idle ones
/// are forgotten, and if none is idle the new source is refused (a flood from many addresses gets no answers rather
/// than unbounded state). Not <c>System.Threading.RateLimiting</c> (whose partitioned token buckets would fit): it is
/// not part of the base runtime this library is held to (<c>LayeringTests</c>).</remarks>
internal sealed class QueryRateLimiter(TimeProvider? clock = null)
{
    /// <summary>Queries per second one address may sustain (a busy real node sends a few).</summary>
    public const double PerSourceRate = 5;

    /// <summary>Queries one address may send in a burst.</summary>
    public const double PerSourceBurst = 20;

    /// <summary>Answers per second over all sources.</summary>
    public const double GlobalRate = 500;

    public const int MaxSources = 10_000;

    private static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<object, Bucket> _sources = []; // an IPAddress, or "address:port" for a loopback source
    private readonly Lock _lock = new();
    private Bucket _global = new(GlobalRate, DateTimeOffset.MinValue);
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    /// <summary>Addresses tracked now.</summary>
    public int Sources { get { lock (_lock) return _sources.Count; } }

    /// <summary>True when a query from <paramref name="source"/> may be answered now (and counts it). A source on this
    /// machine (loopback) is counted per port: there is no remote flood to fear there, and several local nodes share an
    /// address (IPv6 has only one loopback address, ::1); any other source is counted per address.</summary>
    public bool Allow(IPEndPoint source) => IPAddress.IsLoopback(source.Address) ? Allow(source.ToString()) : Allow(source.Address);

    /// <summary>True when a query from <paramref name="source"/> may be answered now (and counts it).</summary>
    public bool Allow(IPAddress source) => Allow((object)source);

    private bool Allow(object source)
    {
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            if (!_sources.TryGetValue(source, out var bucket))
            {
                if (_sources.Count >= MaxSources && now - _lastSweep >= IdleAfter / 30)
                {
                    _lastSweep = now; // a sweep is a pass over the whole table: at most one a second
                    foreach (var idle in _sources.Where(s => now - s.Value.Updated > IdleAfter).Select(s => s.Key).ToList()) _sources.Remove(idle);
                }
                if (_sources.Count >= MaxSources) return false;
                bucket = new Bucket(PerSourceBurst, now);
            }
            bucket = bucket.Refill(now, PerSourceRate, PerSourceBurst);
            _global = _global.Refill(now, GlobalRate, GlobalRate);
            var allowed = bucket.Tokens >= 1 && _global.Tokens >= 1;
            if (allowed)
            {
                bucket = bucket with { Tokens = bucket.Tokens - 1 };
                _global = _global with { Tokens = _global.Tokens - 1 };
            }
            _sources[source] = bucket;
            return allowed;
        }
    }

    private readonly record struct Bucket(double Tokens, DateTimeOffset Updated)
    {
        public Bucket Refill(DateTimeOffset now, double rate, double burst) =>
            Updated == DateTimeOffset.MinValue ? new(burst, now) : new(Math.Min(burst, Tokens + (now - Updated).TotalSeconds * rate), now);
    }
}
