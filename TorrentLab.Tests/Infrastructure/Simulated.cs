using System.Globalization;
using TorrentLab.Simulation;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Runs a test's scenario on the simulated network (<c>TorrentLab.Simulation</c>), in a process of its own
/// with one processor and one thread-pool thread, where it is deterministic from its seed: the same seed gives the
/// same event log, byte for byte. A scenario is a static method of the test class taking a <see cref="SimRun"/>; its
/// assertions are the test's. A failure names the seed and the command that replays it exactly.</summary>
public static class Simulated
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "TorrentLab.Simulation.dll");

    /// <summary>A finished run: what the simulation process reported.</summary>
    public sealed record Run(int Seed, bool Passed, string Digest, long Events, double SimulatedSeconds, double WallSeconds,
        string Output, string Replay);

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="seed"/>; the test fails, naming the seed, the
    /// error, the last events and the replay command, unless the scenario passed.</summary>
    internal static Run Passes(Func<SimRun, Task> scenario, int seed, TimeSpan? wallLimit = null) =>
        Passed(Start(scenario, seed, wallLimit));

    /// <summary>Fails the test, naming the seed, the error, the last events and the replay command, unless
    /// <paramref name="run"/> passed.</summary>
    private static Run Passed(Run run)
    {
        Assert.True(run.Passed, $"the simulated run with seed {run.Seed} failed; replay it with:\n  {run.Replay}\n{run.Output}");
        return run;
    }

    /// <summary>Runs <paramref name="scenario"/> twice with <paramref name="seed"/>: both pass, with one event log. The
    /// two runs are two processes started side by side: each is a function of its seed alone (one virtual clock, one
    /// thread), so running them at once changes nothing in their logs, and the test waits for one run's wall time
    /// instead of two.</summary>
    internal static Run Deterministic(Func<SimRun, Task> scenario, int seed, TimeSpan? wallLimit = null)
    {
        var replicas = new[] { Task.Run(() => Start(scenario, seed, wallLimit)), Task.Run(() => Start(scenario, seed, wallLimit)) };
        Task.WaitAll(replicas, TestContext.Current.CancellationToken);
        var (first, second) = (Passed(replicas[0].Result), Passed(replicas[1].Result));
        Assert.True(first.Digest == second.Digest && first.Events == second.Events,
            $"seed {seed} gave two event logs: {first.Events} events ({first.Digest}) and {second.Events} ({second.Digest}); replay: {first.Replay}");
        return first;
    }

    /// <summary>Starts the simulation process for one run and reads its report.</summary>
    internal static Run Start(Func<SimRun, Task> scenario, int seed, TimeSpan? wallLimit = null)
    {
        var method = scenario.Method;
        if (!method.IsStatic || method.DeclaringType?.FullName is not { } type)
            throw new ArgumentException("a scenario is a static method of a test class", nameof(scenario));
        var seedText = seed.ToString(CultureInfo.InvariantCulture);
        string[] args = [Dll, "scenario", typeof(Simulated).Assembly.Location, type, method.Name, seedText];
        var replay = $"DOTNET_PROCESSOR_COUNT=1 dotnet {string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a))} --log events.txt";
        var result = ProcessRunner.Run("dotnet", args, wallLimit ?? TimeSpan.FromMinutes(10),
            environment: new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = "1" });
        var values = result.Stdout.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        double Seconds(string key) => values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : double.NaN;
        return new Run(seed, result.ExitCode == 0 && values.GetValueOrDefault("result") == "pass", values.GetValueOrDefault("digest", ""),
            values.TryGetValue("events", out var events) ? long.Parse(events, CultureInfo.InvariantCulture) : 0,
            Seconds("simulated_s"), Seconds("wall_s"), (result.Stdout + result.Stderr).Trim(), replay);
    }
}
