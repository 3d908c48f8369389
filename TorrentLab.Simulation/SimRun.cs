using System.Net;
using TorrentLab.Downloads;

namespace TorrentLab.Simulation;

/// <summary>One simulated run: a seed, the clock, the network and the event log, given to a scenario.</summary>
/// <remarks>The seed decides everything random: the network's losses and jitter (its own generator) and every random
/// choice of the engine (<see cref="Randomness"/>, one generator for the process), so a run replays exactly.</remarks>
internal sealed class SimRun : IDisposable
{
    private SimRun(int seed, TextWriter? logFile)
    {
        Seed = seed;
        Clock = new SimClock();
        Log = new EventLog(Clock, file: logFile);
        Network = new SimNetwork(Clock, Log, seed);
        Folder = Path.Combine(Path.GetTempPath(), $"torrentlab-sim-{Environment.ProcessId}-{seed}");
        Directory.CreateDirectory(Folder);
        Log.Redact(Folder, "<run>");
        Randomness.UseSeed(unchecked(seed * 1_000_003 + 17)); // a stream of its own, apart from the network's
    }

    public int Seed { get; }
    public SimClock Clock { get; }
    public EventLog Log { get; }
    public SimNetwork Network { get; }

    /// <summary>A folder of this run's own for the hosts' files (removed at the end); the event log names it
    /// <c>&lt;run&gt;</c>, so two runs log the same lines.</summary>
    public string Folder { get; }

    /// <summary>A folder of <paramref name="host"/>'s own in <see cref="Folder"/>.</summary>
    public string FolderOf(SimHost host, string? name = null) => Path.Combine(Folder, name is null ? host.Name : $"{host.Name}-{name}");

    /// <summary>Session settings for a session on <paramref name="host"/>: its network, the simulation's clock, its
    /// log lines into the event log, every address, a peer id of its own (one settings object serves many hosts), and
    /// the DHT without bootstrap nodes unless <paramref name="settings"/> names some.</summary>
    public SessionSettings SessionOn(SimHost host, SessionSettings? settings = null) => (settings ?? new SessionSettings()) with
    {
        Network = host,
        PeerId = Wire.PeerId.CreateOurs(),
        Time = Clock,
        Log = host.LogLine,
        BindAddresses = [IPAddress.Any],
        DhtBootstrap = settings?.DhtBootstrap ?? [],
    };

    /// <summary>Waits <paramref name="span"/> of simulated time.</summary>
    public Task Delay(TimeSpan span, CancellationToken ct = default) => Task.Delay(span, Clock, ct);

    /// <summary>Checks <paramref name="condition"/> every <paramref name="every"/> of simulated time until it holds
    /// (true) or <paramref name="limit"/> has passed (false).</summary>
    public async Task<bool> WaitUntil(Func<bool> condition, TimeSpan limit, TimeSpan? every = null)
    {
        var step = every ?? TimeSpan.FromMilliseconds(100);
        var end = Clock.NowTicks + limit.Ticks;
        while (!condition())
        {
            if (Clock.NowTicks >= end) return false;
            await Task.Delay(step, Clock).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>How a run ended: its seed; why it failed (the scenario's exception, or what stopped the driver), or
    /// null; the event log's digest and count; the calendar entries run; simulated and real time taken; the last
    /// events as text.</summary>
    internal sealed record Outcome(int Seed, string? Error, string Digest, long Events, long Steps, TimeSpan Simulated,
        TimeSpan Wall, IReadOnlyList<string> Tail)
    {
        public bool Passed => Error is null;
    }

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="seed"/> in this process (which must be a
    /// simulation's own: one processor, one pool thread) until it ends or <paramref name="limit"/> of simulated
    /// time passes.</summary>
    public static Outcome Run(int seed, Func<SimRun, Task> scenario, TimeSpan limit, TextWriter? logFile = null)
    {
        TorrentLab.Network.SystemNetwork.CloseForThisProcess();
        // The simulated network reaches no real host: the test suite's loopback-only rule for the DHT (which would
        // refuse every simulated address) does not apply inside it.
        Environment.SetEnvironmentVariable("TORRENTLAB_DHT_LOOPBACK_ONLY", null);
        using var sim = new SimRun(seed, logFile);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var driver = Driver.Run(sim.Clock, () => scenario(sim), limit, TimeSpan.FromSeconds(120));
        var error = driver.Stopped ?? driver.Scenario switch
        {
            { IsFaulted: true } t => t.Exception!.InnerExceptions.Count == 1 ? t.Exception.InnerException!.ToString() : t.Exception.ToString(),
            { IsCanceled: true } => "the scenario was cancelled",
            _ => null,
        };
        return new Outcome(seed, error, sim.Log.Digest(), sim.Log.Count, sim.Clock.Ran, sim.Clock.Now, wall.Elapsed, [.. sim.Log.Tail()]);
    }

    public void Dispose()
    {
        Log.Dispose();
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
