using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The swarm's transports (<c>TorrentSwarm.Transport.cs</c>, <c>PeerListener.cs</c>): uTP and TCP on one port
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
        await SwarmDownload.RunAsync(built.Torrent, options(new DownloadOptions
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
    public async Task SwarmDownload_TcpOnlyFromAUtpOnlySeeder_NeverConnectsAndFailsWithTheStall()
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
                Transport = PeerTransport.Utp,
            },
            OutputDirectory = folder.Combine("seed"),
        }, ct: Ct);

        await Assert.ThrowsAsync<DownloadFailedException>(() => SwarmDownload.RunAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Transport = PeerTransport.Tcp,
            },
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            StallTimeout = TimeSpan.FromSeconds(3),
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.Equal(0, seeder.Uploaded);
    }
}
