using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 55 across simulated NATs (<c>TorrentSwarm.Holepunch.cs</c>): the seeder and the downloader each
/// behind a NAT that drops what nobody inside asked for, a relay on a public address connected to both. The same
/// story as <see cref="HolepunchNamespaceTests"/> (real kernels, iptables), deterministic and without root.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class HolepunchSimulatedTests
{
    [Fact]
    public void Download_SeederBehindAPortRestrictedNat_CompletesThroughAHolepunch_TheSameWayForTheSameSeed() =>
        Simulated.Deterministic(Punch, seed: 55);

    [Fact]
    public void Download_SeederBehindASymmetricNat_GetsNoBytesThroughThePunch_AndStallsAsItWould() =>
        Simulated.Passes(PunchThroughSymmetric, seed: 56);

    internal static Task Punch(SimRun sim) => PunchAsync(sim, NatKind.PortRestricted, expectCompleted: true);

    internal static Task PunchThroughSymmetric(SimRun sim) => PunchAsync(sim, NatKind.Symmetric, expectCompleted: false);

    private static async Task PunchAsync(SimRun sim, NatKind kind, bool expectCompleted)
    {
        var link = new LinkSpec(TimeSpan.FromMilliseconds(25), UpBytesPerSecond: 2 << 20, DownBytesPerSecond: 8 << 20);
        var relayHost = sim.Network.AddHost("relay", link);
        var natB = sim.Network.AddNat("nat-b", kind);
        var natA = sim.Network.AddNat("nat-a", kind);
        var seedHost = sim.Network.AddHost("seed", link, natB);
        var downloaderHost = sim.Network.AddHost("downloader", link, natA);
        var built = TestTorrents.SingleFile(length: 4 * 1024 * 1024, pieceLength: 256 * 1024, name: "punched.bin", announce: null, seed: 55);
        built.WritePayload(sim.FolderOf(seedHost));
        var relayAt = new IPEndPoint(relayHost.Address, 6881);
        var lines = new ConcurrentDictionary<string, List<string>>();
        Action<string> Logger(SimHost host) => line =>
        {
            host.LogLine(line);
            lines.GetOrAdd(host.Name, _ => []).Add(line);
        };
        DownloadOptions Options(SimHost host) => new()
        {
            OutputDirectory = sim.FolderOf(host), Trackers = [], Log = Logger(host), StallTimeout = TimeSpan.FromSeconds(90),
            ExtraPeers = host == relayHost ? [] : [relayAt],
        };
        SessionSettings Settings(int port) => new() { ListenPort = port, Dht = false, Transport = PeerTransport.Utp };

        // The relay downloads at 1 KiB/s: it has nearly nothing to give, so the downloader's bytes come from the seeder.
        await using var relay = TorrentClient.StartSession(sim.SessionOn(relayHost, Settings(6881) with { DownloadLimit = new RateLimit(1024, clock: sim.Clock) }));
        var relayRun = TorrentClient.DownloadAsync(relay, built.Torrent, Options(relayHost));
        // The seeder dials the relay over uTP (nobody can dial it), so the relay knows it at its NAT's mapping of its port.
        await using var seedSession = TorrentClient.StartSession(sim.SessionOn(seedHost, Settings(7002)));
        await using var seeder = await TorrentClient.SeedAsync(seedSession, built.Torrent, Options(seedHost), allowPartial: false);
        Assert.True(await sim.WaitUntil(() => relay.ConnectionCount == 1, TimeSpan.FromSeconds(30)), "the seeder never reached the relay");

        await using var downloaderSession = TorrentClient.StartSession(sim.SessionOn(downloaderHost, Settings(7001)));
        var download = TorrentClient.DownloadAsync(downloaderSession, built.Torrent, Options(downloaderHost));
        var finished = await Task.WhenAny(download, sim.Delay(TimeSpan.FromSeconds(120))) == download;

        var downloader = lines.GetValueOrDefault("downloader") ?? [];
        var seed = lines.GetValueOrDefault("seed") ?? [];
        var all = $"downloader:\n{string.Join("\n", downloader)}\nseed:\n{string.Join("\n", seed)}";
        // It learned the seeder from the relay's PEX, failed to dial it (the NAT drops it), asked for a rendezvous, and
        // the relay told both sides to dial each other over uTP at once.
        Assert.True(downloader.Any(l => l.Contains("ut_pex named ", StringComparison.Ordinal)), all);
        Assert.True(downloader.Any(l => l.Contains($"sent ut_holepunch rendezvous {natB.Public}:7002", StringComparison.Ordinal)), all);
        Assert.True(downloader.Any(l => l.Contains($"holepunch: dialling {natB.Public}:7002 over uTP", StringComparison.Ordinal)), all);
        // The seeder dials the downloader where the relay sees it: its listen port behind a port-preserving NAT, a port
        // of the mapping to the relay behind a symmetric one (which maps the punch to yet another).
        var expected = kind == NatKind.Symmetric ? $"holepunch: dialling {natA.Public}:" : $"holepunch: dialling {natA.Public}:7001 over uTP";
        Assert.True(seed.Any(l => l.Contains(expected, StringComparison.Ordinal)), all);
        if (expectCompleted)
        {
            Assert.True(finished, "the download did not finish in 120 simulated seconds\n" + all);
            await download;
            Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(downloaderHost), "punched.bin")));
        }
        else
        {
            // A symmetric NAT maps the punch to ports no one was told of: no connection, no byte from the seeder.
            Assert.False(finished && download.IsCompletedSuccessfully, "a download through two symmetric NATs cannot complete\n" + all);
            Assert.DoesNotContain(downloader, l => l.Contains($"{natB.Public}:7002: connected", StringComparison.Ordinal));
        }
        await downloaderSession.DisposeAsync();
        _ = relayRun;
    }
}
