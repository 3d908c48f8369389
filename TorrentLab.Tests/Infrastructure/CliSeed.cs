using System.Diagnostics;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Our seed as users run it: <c>torrentlab seed</c> in a process of its own on 127.0.0.1 (DHT off),
/// stopped by its own id on dispose. The tests that hold our seed's speed to libtorrent's run it so: in the test
/// process, the seed shared its thread pool and CPU with the tests beside it and ran under the coverage tool's counters
/// (five aria2 downloaders took 2.2 times libtorrent's seed's time in a CI run, 0.78 times here without coverage).</summary>
internal sealed class CliSeed : IDisposable
{
    private readonly Process _process;

    private CliSeed(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>Its peer port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Starts seeding <paramref name="torrentPath"/> from <paramref name="dataFolder"/>, announcing to the
    /// torrent's trackers and dialling <paramref name="peerPorts"/> on 127.0.0.1 (<c>--peer</c>); returns once it says it
    /// seeds (its data verified, its port open).</summary>
    public static async Task<CliSeed> StartAsync(string torrentPath, string dataFolder, CancellationToken ct, IEnumerable<int>? peerPorts = null)
    {
        var port = ProcessRunner.FreeTcpPort();
        List<string> args = [CliRunner.CliDll, "seed", torrentPath, "--data", dataFolder, "--port", port.ToString(), "--no-dht",
            "--bind", "127.0.0.1"];
        foreach (var peer in peerPorts ?? []) args.AddRange(["--peer", $"127.0.0.1:{peer}"]);
        var seed = new CliSeed(ProcessRunner.Start("dotnet", args), port);
        try
        {
            // "seeding 'NAME': N/N pieces on port P" on stderr once ready; its status lines follow, read and dropped.
            var said = new List<string>();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(60));
            while (await seed._process.StandardError.ReadLineAsync(limit.Token) is { } line)
            {
                said.Add(line);
                if (line.StartsWith("seeding '", StringComparison.Ordinal)) break;
            }
            if (said.Count == 0 || !said[^1].StartsWith("seeding '", StringComparison.Ordinal))
                Assert.Fail($"torrentlab seed did not start: {string.Join(" | ", said)}");
            _ = seed._process.StandardError.ReadToEndAsync(CancellationToken.None);
            _ = seed._process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            return seed;
        }
        catch
        {
            seed.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
