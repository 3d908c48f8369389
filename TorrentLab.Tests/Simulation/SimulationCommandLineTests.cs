namespace TorrentLab.Tests.Simulation;

/// <summary>The simulation process's own command line (bench/sim/run.sh): an option it does not know, or a value outside
/// an option's choices, is refused with one line and exit code 2, not run as another experiment whose figures would
/// read as the one asked for (a misspelt <c>--cap lnk</c> ran the default, <c>--bogus</c> was ignored).</summary>
public class SimulationCommandLineTests
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "TorrentLab.Simulation.dll");

    [Theory]
    [InlineData("swarm --peers 2 --mib 1 --bogus 1", "unknown option or stray word '--bogus'")]
    [InlineData("swarm --peers 2 --mib 1 stray", "unknown option or stray word 'stray'")]
    [InlineData("swarm --peers 2 --mib 1 --cap lnk", "--cap must be link or app, got 'lnk'")]
    [InlineData("swarm --peers 2 --mib 1 --super yes", "--super must be off or on, got 'yes'")]
    [InlineData("swarm --peers 2 --uploads measured", "--uploads must be equal or spread or gnutella or gnutella-up, got 'measured'")]
    [InlineData("swarm --peers", "--peers needs a value")]
    [InlineData("dht --nodes 20 --rtt ping", "--rtt must be atlas or lognormal, got 'ping'")]
    [InlineData("dht --nodes 20 --memroy", "unknown option or stray word '--memroy'")]
    public void AnUnknownOptionOrValue_IsRefusedWithOneLine(string arguments, string said)
    {
        var result = Infrastructure.ProcessRunner.Run("dotnet", [Dll, .. arguments.Split(' ')], TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = "1" });
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"simulation: {said}", result.Stderr.Trim());
        Assert.DoesNotContain("digest=", result.Stdout);
    }
}
