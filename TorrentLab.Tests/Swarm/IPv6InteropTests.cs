using TorrentLab.Client;
using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>IPv6 against libtorrent on [::1], through our own tracker listening on [::1] (libtorrent announces there
/// with a bare <c>Host: ::1:PORT</c> header, and is handed out as an 18-byte <c>peers6</c> entry). Skipped visibly on a
/// machine whose loopback has no IPv6 address.</summary>
[Trait("Tier", "Slow")]
public class IPv6InteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built Payload(string announce) =>
        TestTorrents.MultiFile([("a.bin", 1 << 20), ("b/c.bin", (512 << 10) + 77)], pieceLength: 64 * 1024, name: "six", announce: announce, seed: 6);

    private static void AssertFiles(TestTorrents.Built built, string output)
    {
        foreach (var (path, data) in built.Files)
            Assert.True(File.Exists(Path.Combine(output, path)) && File.ReadAllBytes(Path.Combine(output, path)).AsSpan().SequenceEqual(data),
                $"{path} differs from the original");
    }

    [Fact]
    public async Task Seeder_BoundToIPv6Loopback_FeedsALibtorrentDownloaderListeningOnIPv6Only()
    {
        Interop.RequireIPv6Loopback();
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-ipv6-seed");
        var trackerLog = new ConcurrentQueue<string>();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Host = IPAddress.IPv6Loopback, Port = 0, Log = trackerLog.Enqueue }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        var trace = new ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.IPv6Loopback], // what `torrentlab seed --bind ::1` passes
            },
            OutputDirectory = folder.Combine("seed"),
            Trace = e => { if (e.Kind is null) trace.Enqueue($"{e.Peer} {e}"); },
        }, ct: Ct);
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);

        using var lt = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("lt"), folder.Path, ipv6: true);
        var (code, output) = await lt.WaitAsync(InteropProcess.DownloaderPatience, Ct);

        var story = $"libtorrent: {output}\ntracker:\n{string.Join("\n", trackerLog)}\ntrace:\n{string.Join("\n", trace)}";
        Assert.True(code == 0, story);
        AssertFiles(built, folder.Combine("lt"));
        Assert.Contains(trackerLog, l => l.StartsWith("announce http [::1]:", StringComparison.Ordinal) && !l.Contains($":{seeder.Port} ", StringComparison.Ordinal));
        Assert.All(trace, l => Assert.StartsWith("[::1]:", l, StringComparison.Ordinal));
        Assert.Contains(trace, l => l.Contains("handshake", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SwarmDownload_FromALibtorrentSeederOnIPv6Only_FindsItThroughPeers6AndCompletes()
    {
        Interop.RequireIPv6Loopback();
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-ipv6-get");
        var trackerLog = new ConcurrentQueue<string>();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Host = IPAddress.IPv6Loopback, Port = 0, Log = trackerLog.Enqueue }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        // Ready only after our tracker answered its announce (sent with a bare "Host: ::1:PORT").
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct, ipv6: true);
        var trace = new ConcurrentQueue<string>();
        var log = new ConcurrentQueue<string>();

        await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.IPv6Loopback, IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("out"),
            StallTimeout = TimeSpan.FromSeconds(20),
            Log = log.Enqueue,
            Trace = e => { if (e.Kind is null) trace.Enqueue($"{e.Peer} {e}"); },
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(40), Ct);

        AssertFiles(built, folder.Combine("out"));
        Assert.True(trace.Any(l => l.StartsWith($"[::1]:{seeder.Port} <- handshake", StringComparison.Ordinal)),
            string.Join("\n", trace.Concat(log).Concat(trackerLog)));
        Assert.Contains(trackerLog, l => l.StartsWith($"announce http [::1]:{seeder.Port} ", StringComparison.Ordinal));
    }
}
