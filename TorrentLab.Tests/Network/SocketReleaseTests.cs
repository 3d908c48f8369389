using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Network;

/// <summary>A closed UDP port or TCP listener is free to bind again when its dispose returns, even while this process starts others:
/// each child is forked with a copy of every socket and holds it until it execs (<see cref="SocketRelease"/>). Before
/// the wait, 106 rebinds of 400 failed with "address already in use" beside two threads starting processes, and
/// <c>TrackerServerTests.DisposeAsync_ReleasesThePort</c> failed once in five runs of its group at load 29.</summary>
[Trait("Tier", "Slow")] // starts a few hundred short processes
public class SocketReleaseTests
{
    private const int Cycles = 150;

    /// <summary>A listen is cheap (tens of microseconds) and a child's window before exec short: without the listener's
    /// shutdown, 4 of 3,000 and 30 of 10,000 failed here, so this many make a miss near certain.</summary>
    private const int ListenCycles = 10_000;

    [Fact]
    public async Task Dispose_WhileProcessesStart_LeavesThePortFreeToBindAgain()
    {
        var failures = await WhileProcessesStart(() =>
        {
            var port = SystemNetwork.Instance.BindUdp(new IPEndPoint(IPAddress.Loopback, 0),
                new UdpPortOptions { ReceiveThread = true, ReceiveThreads = 2 });
            port.Start((_, _) => { });
            var number = port.LocalEndPoint.Port;
            port.Dispose();
            SystemNetwork.Instance.BindUdp(new IPEndPoint(IPAddress.Loopback, number), new UdpPortOptions()).Dispose();
            return Task.CompletedTask;
        });
        Assert.True(failures.Count == 0, $"{failures.Count} of {Cycles} rebinds failed: {string.Join("; ", failures.Take(3))}");
    }

    [Fact]
    public async Task TcpListener_DisposedWhileProcessesStart_LeavesThePortFreeToListenAgain()
    {
        var failures = await WhileProcessesStart(() =>
        {
            var listener = SystemNetwork.Instance.Listen(new IPEndPoint(IPAddress.Loopback, 0), 16);
            var number = listener.LocalEndPoint.Port;
            listener.Dispose();
            SystemNetwork.Instance.Listen(new IPEndPoint(IPAddress.Loopback, number), 16).Dispose();
            return Task.CompletedTask;
        }, ListenCycles);
        Assert.True(failures.Count == 0, $"{failures.Count} of {ListenCycles} listens again failed: {string.Join("; ", failures.Take(3))}");
    }

    [Fact]
    public async Task TrackerServer_DisposedWhileProcessesStart_StartsAgainOnItsPort()
    {
        var failures = await WhileProcessesStart(async () =>
        {
            var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 });
            var number = server.Port;
            await server.DisposeAsync();
            await (await TrackerServer.StartAsync(new TrackerServerOptions { Port = number })).DisposeAsync();
        });
        Assert.True(failures.Count == 0, $"{failures.Count} of {Cycles} restarts failed: {string.Join("; ", failures.Take(3))}");
    }

    /// <summary>Runs <paramref name="cycle"/> <paramref name="cycles"/> times while two threads start /bin/true one after
    /// another; the failures (an address in use) it met.</summary>
    private static async Task<List<string>> WhileProcessesStart(Func<Task> cycle, int cycles = Cycles)
    {
        if (!File.Exists("/bin/true")) Assert.Skip("no /bin/true to start");
        var stop = 0;
        var starters = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                using var child = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
                child.WaitForExit();
            }
        }) { IsBackground = true }).ToList();
        starters.ForEach(t => t.Start());
        var failures = new List<string>();
        try
        {
            for (var i = 0; i < cycles; i++)
            {
                try { await cycle(); }
                catch (Exception e) when (e is SocketException or IOException) { failures.Add(e.Message); }
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            starters.ForEach(t => t.Join());
        }
        return failures;
    }
}
