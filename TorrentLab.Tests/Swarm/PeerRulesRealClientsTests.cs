using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>The progress rule (<see cref="TorrentLab.Swarm.ProgressClaims"/>) against the honest downloaders of three
/// more real clients (aria2 1.36, Transmission 3.00, rtorrent 0.9.8), each taking a 64 MiB torrent whole from our lone
/// seed on loopback, uncapped and with the seed's upload capped: none is ever taken for a liar. Each run prints the
/// seed's account of what the client took against what it announced (bench/notes/peer-rules.md keeps the figures).</summary>
/// <remarks>aria2 and rtorrent find the seed through our tracker; Transmission ignores loopback peers from a tracker, so
/// the seed dials it once it announced (its handshake is refused before). v1 torrents: aria2 1.36 and Transmission 3.00
/// cannot read hybrid ones.</remarks>
[Trait("Category", "Interop")]
[Trait("Tier", "Slow")]
public class PeerRulesRealClientsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 64 MiB: twice the 32 MiB a peer may take while its claims stay flat; 256 KiB pieces, as most torrents of that size.
    private const int Size = 64 << 20, PieceLength = 256 * 1024;

    /// <summary>The capped regime: 3 MiB/s, the upload of a home line, about 21 s for the torrent.</summary>
    private const int CappedRate = 3 << 20;

    public enum Client { Aria2, Transmission, Rtorrent }

    [Theory]
    [InlineData(Client.Aria2, false)]
    [InlineData(Client.Aria2, true)]
    [InlineData(Client.Transmission, false)]
    [InlineData(Client.Transmission, true)]
    [InlineData(Client.Rtorrent, false)]
    [InlineData(Client.Rtorrent, true)]
    public async Task AnHonestDownloader_TakesTheWholeTorrentFromOurSeed_AndIsNeverTakenForALiar(Client client, bool capped)
    {
        var exe = Interop.RequireExecutable(client switch
        {
            Client.Aria2 => "aria2c",
            Client.Transmission => "transmission-cli",
            _ => "rtorrent",
        });
        using var folder = new TempFolder("torrentlab-rules-clients");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = TestTorrents.SingleFile(Size, PieceLength, name: "rules.bin", announce: tracker.HttpAnnounceUrl, seed: 7);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        var log = new ConcurrentQueue<string>();
        var data = folder.Combine("down");

        Seeder? seeder = null;
        try
        {
            if (client == Client.Transmission)
            {
                using var transmission = InteropProcess.TransmissionDownloader(exe, torrentPath, data, folder.Combine("tr"));
                await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Leechers > 0, TimeSpan.FromSeconds(30),
                    "Transmission announced to the tracker", Ct);
                seeder = await SeedAsync(built, folder.Combine("seed"), capped, log, [new IPEndPoint(IPAddress.Loopback, transmission.Port)]);
                await FinishOrBanAsync(seeder, transmission);
            }
            else
            {
                seeder = await SeedAsync(built, folder.Combine("seed"), capped, log, []);
                await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Seeders > 0, TimeSpan.FromSeconds(30),
                    "our seed announced to the tracker", Ct);
                if (client == Client.Aria2)
                {
                    using var aria2 = InteropProcess.Aria2Downloader(exe, torrentPath, data);
                    await FinishOrBanAsync(seeder, aria2);
                }
                else
                {
                    using var rtorrent = Rtorrent.Start(exe, torrentPath, data, folder.Path);
                    var seed = seeder;
                    if (!await Wait.UntilAsync(() => rtorrent.Finished || seed.BadPeers.Count > 0, InteropProcess.DownloaderPatience, Ct))
                        Assert.Fail($"rtorrent did not finish; its log: {rtorrent.Log}");
                    Assert.True(seed.BadPeers.Count == 0, $"our seed banned rtorrent: {string.Join("; ", seed.BadPeers)}");
                }
            }
            // The client leaves once done (aria2 and Transmission exit; rtorrent, a seed now, is dropped by ours): the
            // seed's line for it says what it took against what it claimed.
            var seeding = seeder;
            await Wait.UntilAsync(() => log.Any(l => l.Contains(": disconnected (", StringComparison.Ordinal) && l.Contains("; took ", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), $"{client} disconnected from the seed after taking data", Ct);

            var accounts = log.Where(l => l.Contains("; took ", StringComparison.Ordinal)).ToList();
            TestContext.Current.TestOutputHelper?.WriteLine($"{client}, {(capped ? $"seed capped at {CappedRate >> 20} MiB/s" : "uncapped")}:\n{string.Join("\n", accounts)}");
            Assert.Empty(seeding.BadPeers);
            Assert.Equal(built.Payload, await File.ReadAllBytesAsync(Path.Combine(data, "rules.bin"), Ct));
            Assert.True(seeding.Uploaded >= Size, $"uploaded {seeding.Uploaded} of {Size}");
        }
        finally
        {
            if (seeder is not null) await seeder.DisposeAsync();
        }
    }

    /// <summary>Until <paramref name="client"/> exits with the whole torrent, or fails at once when our seed banned it
    /// (it would then wait for a seed it can no longer reach).</summary>
    private static async Task FinishOrBanAsync(Seeder seeder, InteropProcess client)
    {
        var exited = client.WaitAsync(InteropProcess.DownloaderPatience, Ct);
        await Task.WhenAny(exited, Wait.UntilAsync(() => seeder.BadPeers.Count > 0, InteropProcess.DownloaderPatience, Ct));
        Assert.True(seeder.BadPeers.Count == 0, $"our seed banned {client.Name}: {string.Join("; ", seeder.BadPeers)}");
        var (code, output) = await exited;
        Assert.True(code == 0, $"{client.Name}: exit code {code}: {output}");
    }

    /// <summary>Our seed on 127.0.0.1 (DHT off), announcing to the torrent's tracker and dialling <paramref name="dial"/>,
    /// its engine's lines in <paramref name="log"/>; capped: its upload at <see cref="CappedRate"/>.</summary>
    private static Task<Seeder> SeedAsync(TestTorrents.Built built, string data, bool capped, ConcurrentQueue<string> log, IReadOnlyList<IPEndPoint> dial) =>
        Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings { ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false },
            OutputDirectory = data,
            UploadLimit = capped ? new RateLimit(CappedRate) : null,
            ExtraPeers = dial,
            Log = log.Enqueue,
        }, ct: Ct);
}
