using TorrentLab.Client;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>Our swarm engine against real clients, all on 127.0.0.1.</summary>
[Trait("Tier", "Slow")]
public class SwarmInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built MultiFile(string announce) =>
        TestTorrents.MultiFile([("one.bin", 3 << 20), ("dir/two.bin", (5 << 20) + 4321), ("dir/three.bin", 777)],
            pieceLength: 64 * 1024, name: "interop", announce: announce, seed: 7);

    private static void AssertFiles(TestTorrents.Built built, string output)
    {
        foreach (var (path, data) in built.Files)
            Assert.True(File.Exists(Path.Combine(output, path)) && File.ReadAllBytes(Path.Combine(output, path)).AsSpan().SequenceEqual(data),
                $"{path} differs from the original");
    }

    [Fact]
    public async Task RunAsync_FromLibtorrentTransmissionAndAria2SeedersViaOpentracker_DownloadsTheMultiFileTorrent()
    {
        var aria2 = Interop.RequireExecutable("aria2c");
        var transmission = Interop.RequireExecutable("transmission-cli");
        var python = Interop.RequireLibtorrentPython();
        if (!OperatingSystem.IsLinux()) { Assert.Skip("these clients run on Linux here"); return; }
        using var folder = new TempFolder("torrentlab-swarm-interop");
        var trackerPort = OpenTracker.ReservePort();
        var built = MultiFile($"http://127.0.0.1:{trackerPort}/announce");
        var torrentPath = built.WriteTorrent(folder.Path);
        foreach (var name in new[] { "lt", "tr", "a2" }) built.WritePayload(folder.Combine(name));

        var processes = new List<IDisposable>();
        try
        {
            processes.Add(OpenTracker.Start(trackerPort, [built.Torrent.InfoHash], folder.Path));
            var tr = InteropProcess.TransmissionSeeder(transmission, torrentPath, folder.Combine("tr"), folder.Combine("tr-config"));
            processes.Add(tr);
            // Each of libtorrent and aria2 alone would serve everything in a blink: limited, they share the download and
            // leave time for Transmission's first choke round.
            var a2 = InteropProcess.Aria2Seeder(aria2, torrentPath, folder.Combine("a2"), 1 << 20);
            processes.Add(a2);
            var lt = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct, uploadLimit: 1 << 20);
            processes.Add(lt);
            // Ready when the tracker counts all three as seeders (each announces after checking its data).
            using var client = new TrackerClient([[$"http://127.0.0.1:{trackerPort}/announce"]]);
            var seeding = 0;
            await Wait.UntilAsync(async () => (seeding = (await client.ScrapeAsync(built.Torrent.InfoHash, Ct)).Seeders) >= 3, TimeSpan.FromSeconds(15), Ct);
            Assert.True(seeding == 3, $"only {seeding} seeders announced");
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var output = folder.Combine("out");

            var result = await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
            {
                Session = new SessionSettings
                {
                    ListenPort = 0,
                    BindAddresses = [IPAddress.Loopback],
                },
                OutputDirectory = output,
                ExtraPeers = [new IPEndPoint(IPAddress.Loopback, tr.Port)], // it ignores loopback peers from trackers: we dial it
                StallTimeout = TimeSpan.FromSeconds(20),
                Log = log.Enqueue,
            }, null, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

            AssertFiles(built, output);
            var seeders = new[] { lt.Port, tr.Port, a2.Port }.Select(p => $"127.0.0.1:{p}").ToList();
            var used = result.PeersUsed.Intersect(seeders).Count();
            Assert.True(used >= 2, $"pieces came from {string.Join(", ", result.PeersUsed)}; seeders {string.Join(", ", seeders)}\n{string.Join("\n", log)}");
            Assert.Empty(result.BadPeers);
        }
        finally
        {
            foreach (var process in processes) process.Dispose();
        }
    }

    [Fact]
    public async Task Seeder_LibtorrentAndAria2Downloaders_BothGetTheRightData()
    {
        var aria2 = Interop.RequireExecutable("aria2c");
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-seed-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = MultiFile(tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>(); // the seeder's: which peers came and went, for a failure's message
        var since = System.Diagnostics.Stopwatch.StartNew(); // its lines' times, beside those of libtorrent's events (from its start)
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("seed"),
            Log = line => log.Enqueue($"{since.Elapsed.TotalSeconds:0.0} s {line}"),
        }, ct: Ct);
        // The seeder's started announce runs in the background: wait until the tracker lists it.
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);

        using var lt = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("lt"), folder.Path);
        using var a2 = InteropProcess.Aria2Downloader(aria2, torrentPath, folder.Combine("a2"));
        var ltDone = lt.WaitAsync(InteropProcess.DownloaderPatience, Ct);
        var a2Done = a2.WaitAsync(InteropProcess.DownloaderPatience, Ct);
        var (ltCode, ltOutput) = await ltDone;
        var (a2Code, a2Output) = await a2Done;

        Assert.True(ltCode == 0, $"libtorrent: {ltOutput}\nour seeder:\n{string.Join("\n", log)}");
        Assert.True(a2Code == 0, $"aria2: {a2Output}\nour seeder:\n{string.Join("\n", log)}");
        AssertFiles(built, folder.Combine("lt"));
        AssertFiles(built, folder.Combine("a2"));
        // The seeder is the only source, so every byte left it at least once; libtorrent and aria2 also find each other
        // through the tracker and may trade the rest between themselves.
        Assert.True(seeder.Uploaded >= built.Torrent.TotalLength, $"uploaded {seeder.Uploaded}");
        Assert.Empty(seeder.BadPeers);
    }

    [Fact]
    public async Task RunAsync_FromATransmissionSeederThatAnswersInBursts_GrowsThePipelineByWhatItDelivers()
    {
        // Transmission 3.00 unchokes at its next choke round (seconds after we are interested) and then sends every
        // block it was asked for in one burst every 500 ms: the pipeline, not its upload, sets the rate. Sized by a
        // five-second rate that counted the wait, the pipeline grew by a few requests a round (12 MiB took 18.7 s
        // against libtorrent's 12.0); counted from the first byte, it grows with what each burst brings. How fast it
        // grows is a rate, and a loaded machine slows the real client's bursts (62 requests out once, where 64 were
        // asserted here): TorrentSwarmTimerSimulatedTests' Pipeline test asserts the growth burst by burst on a virtual
        // clock, against a peer that serves this way. This test holds the real client to the model: it downloads whole
        // from Transmission's bursts, and the pipeline grows past its first round on what Transmission delivers.
        var transmission = Interop.RequireExecutable("transmission-cli");
        using var folder = new TempFolder("torrentlab-transmission-bursts");
        var built = TestTorrents.SingleFile(length: 12 << 20, pieceLength: 256 * 1024, name: "bursts.bin", seed: 13);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("tr"));
        using var tr = InteropProcess.TransmissionSeeder(transmission, torrentPath, folder.Combine("tr"), folder.Combine("tr-config"));
        var (sent, received, mostOutstanding) = (0, 0, 0);
        var gate = new Lock();

        await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, tr.Port)],
            StallTimeout = TimeSpan.FromSeconds(30),
            Trace = e =>
            {
                lock (gate)
                {
                    if (e.Kind == TorrentLab.Wire.MessageKind.Request && e.Direction == TorrentLab.Wire.WireDirection.Sent) sent++;
                    else if (e.Kind == TorrentLab.Wire.MessageKind.Piece && e.Direction == TorrentLab.Wire.WireDirection.Received) received++;
                    // The pipeline while the first 300 of the 768 blocks arrive (what it grew to by what the peer delivered).
                    if (received < 300) mostOutstanding = Math.Max(mostOutstanding, sent - received);
                }
            },
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        AssertFiles(built, folder.Combine("out"));
        Assert.True(mostOutstanding > TorrentLab.Swarm.SwarmPeer.MinPipeline * 4,
            $"at most {mostOutstanding} requests were out while the first 300 blocks arrived: the first round's, never more");
    }
}
