namespace TorrentLab.Utp;

/// <summary>The base delay of LEDBAT: the lowest one-way delay sample of the last two minutes (BEP 29).</summary>
/// <remarks>BEP 29: "Each socket keeps a sliding minimum of the lowest value for the last two minutes. This value is
/// called base_delay". The two minutes are kept as 12 minima of 10 seconds each, so the memory is fixed and an old
/// minimum leaves the window at most 10 s late. Samples are differences of two unsynchronised 32-bit microsecond
/// clocks, so they are compared modulo 2^32: a sample is lower when it is less than 2^31 below.</remarks>
internal sealed class DelayHistory
{
    /// <summary>The sliding window: two minutes.</summary>
    public const long WindowMicros = 120_000_000;

    private const int Buckets = 12;
    private const long BucketMicros = WindowMicros / Buckets;

    private readonly uint[] _minima = new uint[Buckets];
    private readonly long[] _starts = new long[Buckets];
    private int _count;       // buckets in use, oldest first from _first
    private int _first;

    /// <summary>True once a sample has arrived.</summary>
    public bool HasBase => _count > 0;

    /// <summary>The lowest sample still inside the window.</summary>
    public uint BaseDelay
    {
        get
        {
            var low = _minima[_first];
            for (var i = 1; i < _count; i++)
            {
                var value = _minima[(_first + i) % Buckets];
                if (IsLower(value, low)) low = value;
            }
            return low;
        }
    }

    /// <summary>Adds a sample taken at <paramref name="nowMicros"/>; returns the sample minus the base delay, the
    /// queuing delay <c>our_delay</c> (0 when the sample is the new minimum).</summary>
    public uint Add(uint sample, long nowMicros)
    {
        while (_count > 0 && nowMicros - _starts[_first] >= WindowMicros)
        {
            _first = (_first + 1) % Buckets;
            _count--;
        }
        var last = (_first + _count - 1 + Buckets) % Buckets;
        if (_count == 0 || nowMicros - _starts[last] >= BucketMicros)
        {
            if (_count == Buckets) { _first = (_first + 1) % Buckets; _count--; }
            last = (_first + _count) % Buckets;
            _starts[last] = nowMicros;
            _minima[last] = sample;
            _count++;
        }
        else if (IsLower(sample, _minima[last]))
        {
            _minima[last] = sample;
        }
        var delay = sample - BaseDelay;
        return delay < 0x8000_0000u ? delay : 0;
    }

    private static bool IsLower(uint a, uint b) => a != b && b - a < 0x8000_0000u;
}
