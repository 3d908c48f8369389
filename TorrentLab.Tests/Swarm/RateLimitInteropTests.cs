using TorrentLab.Client;
using System.Diagnostics;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>Rate limits (<c>Downloads/RateLimit.cs</c>) held against real libtorrent peers on 127.0.0.1. Behaviour
/// tests: the bounds are generous (the machine is shared); the measured figures are in BENCHMARKS.md and
/// bench/notes/rate-limits.md.</summary>
[Trait("Tier", "Slow")]
public class RateLimitInteropTests
{
    private const int Size = 20 << 20, Rate = 2 << 20; // 20 MiB at 2 MiB/s: about 10 s

    /// <summary>Ten seconds at the limit, widened for a loaded machine; unlimited, libtorrent sends 20 MiB in about one.</summary>
    private static readonly (double Low, double High) Seconds = (8, 16);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Download_LimitedTo2MiBPerSecondFromAFastLibtorrentSeeder_TakesAboutTenSeconds()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-rate-down");
        var built = TestTorrents.SingleFile(Size, pieceLength: 256 * 1024, name: "rate.bin", announce: null, seed: 17);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        using var lt = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct);

        var clock = Stopwatch.StartNew();
        var firstPieceAt = TimeSpan.Zero; // after connecting and the first piece: what follows is the limit alone
        var progress = new SynchronousProgress(p => { if (p.BytesDone > 0 && firstPieceAt == TimeSpan.Zero) firstPieceAt = clock.Elapsed; });
        await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Dht = false,
            },
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, lt.Port)],
            DownloadLimit = new RateLimit(Rate),
            StallTimeout = TimeSpan.FromSeconds(20),
        }, progress, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var elapsed = clock.Elapsed.TotalSeconds;
        var afterFirst = (Size - built.Torrent.PieceLength) / (clock.Elapsed - firstPieceAt).TotalSeconds / (1 << 20);

        Assert.Equal(built.Payload, await File.ReadAllBytesAsync(folder.Combine("out", "rate.bin"), Ct));
        Assert.InRange(elapsed, Seconds.Low, Seconds.High);
        TestContext.Current.TestOutputHelper?.WriteLine($"20 MiB at a 2 MiB/s download limit: {elapsed:0.00} s; {afterFirst:0.00} MiB/s after the first piece");
    }

    [Fact]
    public async Task Seeder_UploadLimitedTo2MiBPerSecond_ALibtorrentDownloaderTakesAboutTenSeconds()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-rate-up");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = TestTorrents.SingleFile(Size, pieceLength: 256 * 1024, name: "rate.bin", announce: tracker.HttpAnnounceUrl, seed: 18);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Dht = false,
            },
            OutputDirectory = folder.Combine("seed"),
            UploadLimit = new RateLimit(Rate),
        }, ct: Ct);
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);

        var clock = Stopwatch.StartNew(); // includes libtorrent's start-up and first announce (under a second)
        using var lt = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("lt"), folder.Path);
        var (code, output) = await lt.WaitAsync(TimeSpan.FromSeconds(40), Ct);
        var elapsed = clock.Elapsed.TotalSeconds;

        Assert.True(code == 0, $"libtorrent: {output}");
        Assert.Equal(built.Payload, await File.ReadAllBytesAsync(folder.Combine("lt", "rate.bin"), Ct));
        Assert.True(seeder.Uploaded >= Size, $"uploaded {seeder.Uploaded}");
        Assert.InRange(elapsed, Seconds.Low, Seconds.High);
        TestContext.Current.TestOutputHelper?.WriteLine($"20 MiB at a 2 MiB/s upload limit, at a libtorrent downloader: {elapsed:0.00} s");
    }

    [Fact]
    public async Task Download_LimitLiftedWhileRunning_FinishesLongBeforeTheOldLimitWould()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-rate-live");
        var built = TestTorrents.SingleFile(8 << 20, pieceLength: 256 * 1024, name: "live.bin", announce: null, seed: 19);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        using var lt = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct);
        var limit = new RateLimit(128 * 1024); // 8 MiB would take 64 s at this rate
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new Progress<DownloadProgress>(p => { if (p.BytesDone >= 256 * 1024) received.TrySetResult(); });

        var download = TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Dht = false,
            },
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, lt.Port)],
            DownloadLimit = limit,
            StallTimeout = TimeSpan.FromSeconds(20),
        }, progress, Ct);
        await received.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.False(download.IsCompleted, "the limited download should still be running");
        limit.BytesPerSecond = 0; // unlimited from now on

        await download.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(built.Payload, await File.ReadAllBytesAsync(folder.Combine("out", "live.bin"), Ct));
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the engine's own thread (no synchronization context hop).</summary>
file sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
{
    public void Report(DownloadProgress value) => report(value);
}
