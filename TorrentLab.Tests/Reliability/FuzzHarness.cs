using System.Diagnostics;

namespace TorrentLab.Tests.Reliability;

/// <summary>Runs a parser over many mutated inputs and sorts each outcome: parsed, rejected with the layer's typed
/// error, or lost (any other exception, an input over the time budget, or one that allocated beyond the bound).</summary>
/// <remarks>The inputs are parsed on a dedicated background thread while the calling thread watches the clock: an
/// input still running after <see cref="FuzzLimits.Budget"/> is reported as a hang (the thread is abandoned, since
/// .NET cannot abort it) instead of stalling the test run.</remarks>
internal static class FuzzHarness
{
    /// <summary>What one campaign over a layer found.</summary>
    public sealed record Result(string Layer, int Inputs, int Parsed, int Rejected, int LostCount, IReadOnlyList<string> Lost,
        long MaxAllocated, TimeSpan Slowest, TimeSpan Elapsed, bool Hung)
    {
        public ReliabilityRow ToRow(string scenario) => new("fuzz", $"{Layer}: {scenario}", Inputs, Inputs - LostCount,
            LostCount == 0 ? "none" : $"{LostCount} ({string.Join("; ", Lost.Take(2))})",
            $"{Parsed} parsed, {Rejected} rejected; {ReliabilityReport.PerSecond(Inputs, Elapsed)}; " +
            $"slowest {Slowest.TotalMilliseconds:0.0} ms; max alloc/input {ReliabilityReport.Mib(MaxAllocated)}");
    }

    /// <param name="Budget">Longest one input may take before it counts as a hang (generous: GC pauses happen).</param>
    /// <param name="AllocationBound">Most bytes one input may allocate, given its length.</param>
    public sealed record FuzzLimits(TimeSpan Budget, Func<int, long> AllocationBound)
    {
        /// <summary>2 s per input; 16 MiB plus 64 bytes per input byte (a decoded tree is a few times its text).</summary>
        public static FuzzLimits Default { get; } = new(TimeSpan.FromSeconds(2), length => (16L << 20) + 64L * length);
    }

    /// <summary>Mutates inputs drawn from <paramref name="seeds"/> <paramref name="count"/> times and parses each.</summary>
    /// <param name="parse">True when the input was accepted (parsed, or a ledger trusted), false when it was rejected
    /// without an exception.</param>
    /// <param name="isTyped">The exceptions that count as a proper rejection (the layer's typed error).</param>
    public static Result Run(string layer, int count, int seed, IReadOnlyList<byte[]> seeds, Func<byte[], bool> parse,
        Func<Exception, bool> isTyped, FuzzLimits? limits = null)
    {
        limits ??= FuzzLimits.Default;
        var state = new State();
        var worker = new Thread(() => Work(count, seed, seeds, parse, isTyped, limits, state))
        {
            IsBackground = true, // a hung parser must not keep the test host alive
            Name = $"fuzz {layer}",
        };
        var clock = Stopwatch.StartNew();
        worker.Start();
        while (!worker.Join(50))
        {
            var started = Volatile.Read(ref state.StartedAt);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > limits.Budget)
            {
                var input = Volatile.Read(ref state.Current) ?? [];
                state.Lost.Add($"hang: input #{state.Index} still running after {limits.Budget.TotalSeconds} s: {Hex(input)}");
                state.LostCount++;
                return state.Result(layer, clock.Elapsed, hung: true);
            }
        }
        return state.Result(layer, clock.Elapsed, hung: false);
    }

    private static void Work(int count, int seed, IReadOnlyList<byte[]> seeds, Func<byte[], bool> parse,
        Func<Exception, bool> isTyped, FuzzLimits limits, State state)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var input = Mutator.Mutate(seeds[random.Next(seeds.Count)], random);
            state.Index = i;
            Volatile.Write(ref state.Current, input);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            Volatile.Write(ref state.StartedAt, started);
            try
            {
                if (parse(input)) state.Parsed++;
                else state.Rejected++;
            }
            catch (Exception e) when (isTyped(e))
            {
                state.Rejected++;
            }
            catch (Exception e)
            {
                state.Lose($"{e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}; input {Hex(input)}");
            }
            Volatile.Write(ref state.StartedAt, 0);
            var took = Stopwatch.GetElapsedTime(started);
            if (took > state.Slowest) state.Slowest = took;
            var used = GC.GetAllocatedBytesForCurrentThread() - allocated;
            state.MaxAllocated = Math.Max(state.MaxAllocated, used);
            if (used > limits.AllocationBound(input.Length))
                state.Lose($"allocated {used} bytes for a {input.Length}-byte input: {Hex(input)}");
        }
    }

    /// <summary>The input in hex, cut to its first 96 bytes.</summary>
    public static string Hex(byte[] input) =>
        Convert.ToHexString(input.AsSpan(0, Math.Min(96, input.Length))) + (input.Length > 96 ? $"... ({input.Length} bytes)" : "");

    private sealed class State
    {
        public byte[]? Current;
        public long StartedAt;
        public int Index, Parsed, Rejected, LostCount;
        public long MaxAllocated;
        public TimeSpan Slowest;
        public readonly List<string> Lost = [];

        public void Lose(string what)
        {
            LostCount++;
            if (Lost.Count < 5) Lost.Add(what);
        }

        public Result Result(string layer, TimeSpan elapsed, bool hung) =>
            new(layer, Index + 1, Parsed, Rejected, LostCount, [.. Lost], MaxAllocated, Slowest, elapsed, hung);
    }
}
