using TorrentLab.Client;
using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>MSE/PE against real clients on 127.0.0.1: libtorrent forced to RC4 in both roles, and aria2 with its
/// defaults (it dials with an encrypted handshake first).</summary>
[Trait("Tier", "Slow")]
public class MseInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built Payload(string announce) =>
        TestTorrents.MultiFile([("a.bin", 2 << 20), ("b/c.bin", (1 << 20) + 999)], pieceLength: 64 * 1024, name: "mse", announce: announce, seed: 14);

    private static void AssertFiles(TestTorrents.Built built, string output)
    {
        foreach (var (path, data) in built.Files)
            Assert.True(File.Exists(Path.Combine(output, path)) && File.ReadAllBytes(Path.Combine(output, path)).AsSpan().SequenceEqual(data),
                $"{path} differs from the original");
    }

    [Theory]
    [InlineData(EncryptionPolicy.Prefer)]
    [InlineData(EncryptionPolicy.Require)]
    public async Task SwarmDownload_FromALibtorrentSeederThatForcesRc4_CompletesOverRc4(EncryptionPolicy policy)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-mse-lt-seed");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct, settings: LibtorrentScript.ForcedRc4);
        var trace = new ConcurrentQueue<string>();
        var log = new ConcurrentQueue<string>();

        await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Encryption = policy,
            },
            OutputDirectory = folder.Combine("out"),
            StallTimeout = TimeSpan.FromSeconds(20),
            Log = log.Enqueue,
            Trace = e => { if (e.Kind is null) trace.Enqueue($"{e.Peer} {e}"); },
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(40), Ct);

        AssertFiles(built, folder.Combine("out"));
        Assert.True(trace.Any(l => l.StartsWith($"127.0.0.1:{seeder.Port} <- handshake", StringComparison.Ordinal) && l.EndsWith("encryption=rc4", StringComparison.Ordinal)),
            string.Join("\n", trace.Concat(log)));
    }

    [Fact]
    public async Task Seeder_ToALibtorrentDownloaderThatForcesRc4_ServesEverythingOverRc4()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-mse-lt-get");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        var trace = new ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("seed"),
            Trace = e => { if (e.Kind is null) trace.Enqueue(e.ToString()); },
        }, ct: Ct);
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);

        using var lt = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("lt"), folder.Path, LibtorrentScript.ForcedRc4);
        var (code, output) = await lt.WaitAsync(InteropProcess.DownloaderPatience, Ct);

        Assert.True(code == 0, $"libtorrent: {output}\n{string.Join("\n", trace)}");
        AssertFiles(built, folder.Combine("lt"));
        Assert.Contains(trace, l => l.StartsWith("<- handshake", StringComparison.Ordinal) && l.EndsWith("encryption=rc4", StringComparison.Ordinal));
        Assert.DoesNotContain(trace, l => l.EndsWith("encryption=none", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Seeder_ToAria2WithItsDefaults_AcceptsItsEncryptedHandshakeWithNoFailedAttempt()
    {
        var aria2 = Interop.RequireExecutable("aria2c");
        using var folder = new TempFolder("torrentlab-mse-aria2");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        var log = new ConcurrentQueue<string>();
        var trace = new ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("seed"),
            Log = log.Enqueue,
            Trace = e => { if (e.Kind is null) trace.Enqueue(e.ToString()); },
        }, ct: Ct);
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);

        using var a2 = InteropProcess.Aria2Downloader(aria2, torrentPath, folder.Combine("a2"));
        var (code, output) = await a2.WaitAsync(InteropProcess.DownloaderPatience, Ct);

        Assert.True(code == 0, $"aria2: {output}");
        AssertFiles(built, folder.Combine("a2"));
        Assert.DoesNotContain(log, l => l.StartsWith("incoming:", StringComparison.Ordinal));   // no refused or broken handshake
        Assert.Contains(trace, l => l.StartsWith("<- handshake", StringComparison.Ordinal) && l.EndsWith("encryption=rc4", StringComparison.Ordinal));
    }
}
