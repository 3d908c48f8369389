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
                _ => Usage(),
            };
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"simulation: {e.Message}");
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: DOTNET_PROCESSOR_COUNT=1 dotnet TorrentLab.Simulation.dll scenario ASSEMBLY TYPE METHOD SEED [--log FILE] [--limit SECONDS]");
        return 2;
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
