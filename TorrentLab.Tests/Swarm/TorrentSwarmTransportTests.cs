using TorrentLab.Client;
using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The swarm's transports (<c>Dialler.cs</c>, <c>PeerListener.cs</c>): uTP and TCP on one port
/// number, uTP dialled first with TCP raced after a head start (or the reverse), and each connection's transport in the log
/// and trace. Which attempt fails first, and whether it is logged, depends on timing: the tests assert the outcome.</summary>
[Trait("Tier", "Slow")]
public class TorrentSwarmTransportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built Payload() =>
        TestTorrents.MultiFile([("a.bin", 600 * 1024), ("sub/b.bin", 300 * 1024 + 77)], pieceLength: 32 * 1024, name: "transport", announce: null, seed: 41);

    private static void AssertFiles(TestTorrents.Built built, string output)
    {
        foreach (var (path, data) in built.Files)
            Assert.True(File.Exists(Path.Combine(output, path)) && File.ReadAllBytes(Path.Combine(output, path)).AsSpan().SequenceEqual(data),
                $"{path} differs from the original");
    }

    /// <summary>Seeds with <paramref name="transport"/>, downloads with <paramref name="options"/> from it, and returns
    /// the downloader's log and trace lines.</summary>
    private static async Task<(string[] Log, string[] Trace)> DownloadFromOurSeeder(PeerTransport transport, Func<DownloadOptions, DownloadOptions> options)
    {
        using var folder = new TempFolder("torrentlab-transport");
        var built = Payload();
        built.WritePayload(folder.Combine("seed"));
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Transport = transport,
            },
            OutputDirectory = folder.Combine("seed"),
        }, ct: Ct);
        var log = new ConcurrentQueue<string>();
        var trace = new ConcurrentQueue<string>();
        await TorrentClient.DownloadAsync(built.Torrent, options(new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            StallTimeout = TimeSpan.FromSeconds(30),
            Log = log.Enqueue,
            Trace = e => { if (e.Kind is null) trace.Enqueue(e.ToString()); },
        }), null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        AssertFiles(built, folder.Combine("out"));
        return ([.. log], [.. trace]);
    }

    [Theory]
    [InlineData(PeerTransport.Utp)]
    [InlineData(PeerTransport.Both)]
    public async Task SwarmDownload_FromOurUtpOnlySeeder_CompletesOverUtpAndTheTraceSaysSo(PeerTransport downloader)
    {
        var (log, trace) = await DownloadFromOurSeeder(PeerTransport.Utp, o => o.WithSession(s => s with { Transport = downloader }));

        Assert.Contains(log, l => l.Contains("connected (outgoing over utp", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("over tcp", StringComparison.Ordinal));
        Assert.Contains(trace, l => l.StartsWith("<- handshake", StringComparison.Ordinal) && l.Contains(" transport=utp ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SwarmDownload_BothFromATcpOnlySeeder_ConnectsOverTcpOnly()
    {
        var (log, trace) = await DownloadFromOurSeeder(PeerTransport.Tcp, o => o.WithSession(s => s with { Transport = PeerTransport.Both }));

        Assert.Contains(log, l => l.Contains("connected (outgoing over tcp", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("over utp", StringComparison.Ordinal));
        Assert.Contains(trace, l => l.StartsWith("<- handshake", StringComparison.Ordinal) && l.Contains(" transport=tcp ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SwarmDownload_TcpFirstFromAUtpOnlySeeder_ConnectsOverUtp()
    {
        var (log, _) = await DownloadFromOurSeeder(PeerTransport.Utp, o => o.WithSession(s => s with { Transport = PeerTransport.Both, DialTcpFirst = true }));

        Assert.Contains(log, l => l.Contains("connected (outgoing over utp", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("over tcp", StringComparison.Ordinal));
    }

    [Fact]
    public void SwarmDownload_TcpOnlyFromAUtpOnlySeeder_NeverConnectsAndFailsWithTheStall() =>
        Simulated.Passes(TcpOnlyFromUtpOnly, seed: 41);

    /// <summary>On the simulated network (the stall's 3 s pass in virtual time): the seeder listens on uTP only, the
    /// downloader dials over TCP only, is refused, and gives up at its stall timeout, not before; nothing was uploaded.</summary>
    internal static async Task TcpOnlyFromUtpOnly(SimRun sim)
    {
        var built = Payload();
        var seedHost = sim.Network.AddHost("seed", TorrentLab.Simulation.LinkSpec.Fast);
        var host = sim.Network.AddHost("downloader", TorrentLab.Simulation.LinkSpec.Fast);
        built.WritePayload(sim.FolderOf(seedHost));
        await using var seedSession = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(seedHost,
            new SessionSettings { ListenPort = 6881, Transport = PeerTransport.Utp, Dht = false }));
        await using var seeder = await TorrentLab.Tests.Infrastructure.Seeder.StartAsync(seedSession, built.Torrent,
            new DownloadOptions { OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine }, allowPartial: false);
        await using var session = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(host,
            new SessionSettings { ListenPort = 6881, Transport = PeerTransport.Tcp, Dht = false }));
        var started = sim.Clock.Now;

        await Assert.ThrowsAsync<DownloadFailedException>(() => TorrentLab.Client.TorrentClient.DownloadAsync(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(host), Trackers = [], Log = host.LogLine,
            ExtraPeers = [new IPEndPoint(seedHost.Address, 6881)],
            StallTimeout = TimeSpan.FromSeconds(3),
        }).WaitAsync(TimeSpan.FromSeconds(60), sim.Clock));
        Assert.True(sim.Clock.Now - started >= TimeSpan.FromSeconds(3), $"gave up after {sim.Clock.Now - started}, before its stall timeout");
        Assert.Equal(0, seeder.Uploaded);
    }
}
