using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;

namespace TorrentLab.Simulation;

/// <summary>The simulation process. <c>scenario ASSEMBLY TYPE METHOD SEED</c> runs a test's scenario (a static
/// method taking a <see cref="SimRun"/>); the tests start it so (TorrentLab.Tests/Infrastructure/Simulated.cs),
/// and the same line replays a failure. Run it with <c>DOTNET_PROCESSOR_COUNT=1</c>.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return args switch
            {
                ["scenario", var assembly, var type, var method, var seed, .. var rest] => Scenario(assembly, type, method, int.Parse(seed, CultureInfo.InvariantCulture), rest),
                ["swarm", .. var rest] => Swarm(rest),
                ["dht", .. var rest] => Dht(rest),
                _ => Usage(),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine($"simulation: {e.Message}");
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: DOTNET_PROCESSOR_COUNT=1 dotnet TorrentLab.Simulation.dll scenario ASSEMBLY TYPE METHOD SEED [--log FILE] [--limit SECONDS]");
        Console.Error.WriteLine("       DOTNET_PROCESSOR_COUNT=1 dotnet TorrentLab.Simulation.dll swarm --peers N --seed S [--mib F] [--piece-kib K] [--seed-kib-s U] [--peer-kib-s P]");
        Console.Error.WriteLine("           [--uploads equal|spread|gnutella|gnutella-up] [--down-factor D] [--super on|off] [--cap link|app] [--neighbours M]");
        Console.Error.WriteLine("           [--join once|tracker] [--starts FROM-TO|S1,S2,...] [--churn SHARE] [--log FILE] [--trace FILE]");
        Console.Error.WriteLine("           [--one-way-ms 20] [--timers-late-ms 0.5] [--wire FILE]");
        Console.Error.WriteLine("       DOTNET_PROCESSOR_COUNT=1 dotnet TorrentLab.Simulation.dll dht --nodes N --seed S [--lookups L] [--unresponsive 0.2] [--loss 0.01] [--one-way-ms 25]");
        Console.Error.WriteLine("           [--rtt atlas|lognormal] [--addresses spread|dense] [--log FILE]");
        return 2;
    }

    /// <summary>The DHT experiment (bench/sim/run.sh dht); its last line holds median_ms, p99_ms, success and median_rtt_ms.</summary>
    private static int Dht(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        OnlyKnown(args, ["--nodes", "--seed", "--lookups", "--unresponsive", "--loss", "--one-way-ms", "--rtt", "--addresses", "--log"], flags: ["--memory"]);
        double Number(string name, double fallback) => Option(args, name) is { } v ? double.Parse(v, inv) : fallback;
        var rtt = Choice(args, "--rtt", "atlas", "lognormal");
        var options = new Experiments.DhtExperiment.Options((int)Number("--nodes", 1000), (int)Number("--lookups", 200),
            Number("--unresponsive", 0.2), Number("--one-way-ms", 25), Number("--loss", 0.01), Choice(args, "--addresses", "spread", "dense") != "dense",
            Memory: args.Contains("--memory"), Rtt: rtt);
        return Experiment(args, (int)Number("--seed", 1), (sim, print) => Experiments.DhtExperiment.RunAsync(sim, options, print));
    }

    /// <summary>How late the swarm experiment's engine timers may fire unless told (--timers-late-ms): a real machine's
    /// fire late, each by its own amount; on time, timers due at one instant run in a fixed order and a thousand peers
    /// started together keep their periodic timers in step (bench/notes/swarm.md, "Why the simulator's super-seed was
    /// faster"). The rows measured before it reproduce with --timers-late-ms 0.</summary>
    private const double DefaultTimersLateMs = 0.5;

    /// <summary>The swarm experiment (bench/sim/run.sh swarm): its figures, then the run's report; the last line holds
    /// T/T_min and is the same for the same seed and options.</summary>
    private static int Swarm(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        OnlyKnown(args, ["--peers", "--seed", "--mib", "--piece-kib", "--seed-kib-s", "--peer-kib-s", "--uploads", "--down-factor", "--super",
            "--cap", "--neighbours", "--join", "--starts", "--churn", "--log", "--trace", "--one-way-ms", "--timers-late-ms", "--wire"], flags: []);
        int Int(string name, int fallback) => Option(args, name) is { } v ? int.Parse(v, inv) : fallback;
        var seed = Int("--seed", 1);
        var options = new Experiments.SwarmExperiment.Options(
            Peers: Int("--peers", 10), Mib: Int("--mib", 100), PieceKib: Int("--piece-kib", 256), SeedRate: Int("--seed-kib-s", 1024) * 1024L, PeerRate: Int("--peer-kib-s", 0) * 1024L,
            Uploads: Choice(args, "--uploads", "equal", "spread", "gnutella", "gnutella-up"), DownFactor: Int("--down-factor", 0),
            Super: Choice(args, "--super", "off", "on") == "on", AppCap: Choice(args, "--cap", "link", "app") == "app", Neighbours: Int("--neighbours", 50),
            Join: Choice(args, "--join", "once", "tracker"),
            Starts: Option(args, "--starts") ?? "0-0", Churn: Option(args, "--churn") is { } churn ? double.Parse(churn, inv) : 0,
            Trace: Option(args, "--trace"), LatencyMs: Option(args, "--one-way-ms") is { } ms ? double.Parse(ms, inv) : 20,
            Wire: Option(args, "--wire"), TimersLateMs: Option(args, "--timers-late-ms") is { } late ? double.Parse(late, inv) : DefaultTimersLateMs);
        return Experiment(args, seed, (sim, print) => Experiments.SwarmExperiment.RunAsync(sim, options, print));
    }

    /// <summary>Runs an experiment and prints its cost, then its figures (the last line, with the event log's digest).</summary>
    private static int Experiment(string[] args, int seed, Func<SimRun, Action<string>, Task> experiment)
    {
        var inv = CultureInfo.InvariantCulture;
        string? figures = null;
        using var logFile = Option(args, "--log") is { } file ? new StreamWriter(file) : null;
        var outcome = SimRun.Run(seed, sim => experiment(sim, line => figures = line), TimeSpan.FromHours(24), logFile);
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;   // the wall time is mostly the machine's load
        Console.WriteLine(string.Create(inv, $"wall_s={outcome.Wall.TotalSeconds:0.0} cpu_s={cpu:0.0} simulated_s={outcome.Simulated.TotalSeconds:0.0} " +
            $"sim_s_per_wall_s={outcome.Simulated.TotalSeconds / outcome.Wall.TotalSeconds:0.00} sim_s_per_cpu_s={outcome.Simulated.TotalSeconds / cpu:0.00} " +
            $"events={outcome.Events} events_per_cpu_s={outcome.Events / cpu:0} steps={outcome.Steps} gcs={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} " +
            $"gc_pause_s={GC.GetTotalPauseDuration().TotalSeconds:0.0} allocated_gib={GC.GetTotalAllocatedBytes() / (double)(1 << 30):0.00} " +
            $"peak_working_set_mib={System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 >> 20} managed_mib={GC.GetTotalMemory(forceFullCollection: true) >> 20}"));
        if (!outcome.Passed)
        {
            Report(outcome);
            return 1;
        }
        Console.WriteLine($"digest={outcome.Digest} {figures}");
        return 0;
    }

    /// <summary>Loads a test assembly (its dependencies resolved from its own deps file) and runs one of its scenarios.</summary>
    private static int Scenario(string assemblyPath, string typeName, string methodName, int seed, string[] rest)
    {
        var resolver = new AssemblyDependencyResolver(Path.GetFullPath(assemblyPath));
        AssemblyLoadContext.Default.Resolving += (context, name) =>
            resolver.ResolveAssemblyToPath(name) is { } path ? context.LoadFromAssemblyPath(path) : null;
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(assemblyPath));
        var type = assembly.GetType(typeName, throwOnError: true)!;
        var method = type.GetMethod(methodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException($"no static method {methodName} in {typeName}");
        var scenario = method.CreateDelegate<Func<SimRun, Task>>();
        using var logFile = Option(rest, "--log") is { } file ? new StreamWriter(file) : null;
        var limit = Option(rest, "--limit") is { } seconds ? TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture)) : TimeSpan.FromHours(2);
        var outcome = SimRun.Run(seed, scenario, limit, logFile);
        Report(outcome);
        return outcome.Passed ? 0 : 1;
    }

    /// <summary>Refuses an option the experiment does not know (a misspelt one would run another experiment and print
    /// its figures as if asked for): each of <paramref name="valued"/> takes the word after it, each of
    /// <paramref name="flags"/> none.</summary>
    private static void OnlyKnown(string[] args, string[] valued, string[] flags)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (flags.Contains(args[i])) continue;
            if (!valued.Contains(args[i])) throw new FormatException($"unknown option or stray word '{args[i]}'");
            if (++i == args.Length) throw new FormatException($"{args[i - 1]} needs a value");
        }
    }

    /// <summary>The value of <paramref name="name"/>, one of <paramref name="allowed"/> (the first when absent).</summary>
    private static string Choice(string[] args, string name, params string[] allowed)
    {
        var value = Option(args, name) ?? allowed[0];
        return allowed.Contains(value) ? value : throw new FormatException($"{name} must be {string.Join(" or ", allowed)}, got '{value}'");
    }

    private static string? Option(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    /// <summary>The outcome as key=value lines (the tests read them), and on failure the error and the end of the log.</summary>
    internal static void Report(SimRun.Outcome outcome)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"seed={outcome.Seed}");
        Console.WriteLine($"events={outcome.Events}");
        Console.WriteLine($"steps={outcome.Steps}");
        Console.WriteLine(string.Create(inv, $"simulated_s={outcome.Simulated.TotalSeconds:0.000}"));
        Console.WriteLine(string.Create(inv, $"wall_s={outcome.Wall.TotalSeconds:0.000}"));
        Console.WriteLine($"digest={outcome.Digest}");
        if (outcome.Passed)
        {
            Console.WriteLine("result=pass");
            return;
        }
        Console.WriteLine("result=fail");
        Console.WriteLine("--- the last events ---");
        foreach (var line in outcome.Tail) Console.WriteLine(line);
        Console.WriteLine("--- error ---");
        Console.WriteLine(outcome.Error);
    }
}
