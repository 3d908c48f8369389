using System.Net;

namespace TorrentLab.Dht;

/// <summary>Decides whether a query from another node gets an answer: a token bucket per source address and a cap
/// on answers per second over all sources, so the node is never a flood's amplifier.</summary>
/// <remarks>Bounded memory: at most <see cref="MaxSources"/> addresses are tracked; sources idle for
/// <see cref="IdleAfter"/> are forgotten (at most one pass over the table per that time, and at once when the table is
/// full), and if none is idle when it is full the new source is refused (a flood from many addresses gets no answers
/// rather than unbounded state). An idle source's bucket is full again after <see cref="PerSourceBurst"/> /
/// <see cref="PerSourceRate"/> seconds, as a new one starts: forgetting it changes no answer. Before, idle sources
/// were kept until the table was full: every node of bench/sim/run.sh dht kept a bucket for each node that had ever
/// queried it (about 18 MiB of 100 at 3,000 nodes, growing with the square of their number). Not <c>System.Threading.RateLimiting</c> (whose partitioned token buckets would fit): it is
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

    /// <summary>After how long without a query a source is forgotten.</summary>
    internal static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(30);

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
                // A sweep is a pass over the whole table: once per IdleAfter, or at most once a second while it is full.
                if (now - _lastSweep >= (_sources.Count >= MaxSources ? IdleAfter / 30 : IdleAfter))
                {
                    _lastSweep = now;
                    var idle = _sources.Where(s => now - s.Value.Updated > IdleAfter).Select(s => s.Key).ToList();
                    foreach (var key in idle) _sources.Remove(key);
                    if (idle.Count > _sources.Count) _sources.TrimExcess(); // a table does not shrink by itself
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
