using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The session's global limits (<see cref="SessionSettings.DownloadLimit"/>, <see cref="Session.DownloadLimit"/>)
/// over every torrent of the session, on a clock of the test's own: two torrents together never take more than the
/// session's bucket earned, whatever their own limits, whether run through the front door in a <see cref="Session"/> or
/// added to a <see cref="TorrentSession"/> as handles.</summary>
[Trait("Tier", "Slow")]
public class SessionLimitTests
{
    private const int Block = 16 * 1024, Rate = 128 * 1024, Size = 512 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250); // two blocks' worth at the rate

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SessionSettings Loopback(RateLimit? down) => new()
    {
        ListenPort = 0,
        BindAddresses = [IPAddress.Loopback],
        Transport = PeerTransport.Tcp,
        Dht = false,
        DownloadLimit = down,
    };

    public static TheoryData<string> TorrentLimits => new() { "none", "own unlimited", "own above the session's" };

    [Theory]
    [MemberData(nameof(TorrentLimits))]
    public async Task DownloadAsync_TwoTorrentsUnderASessionCap_TakeTogetherWhatTheSessionsBucketEarnsAndNoMore(string torrentLimit)
    {
        var clock = new ManualClock();
        var cap = new RateLimit(Rate, clock: clock);
        await using var session = Session.Start(Loopback(cap));
        Assert.Same(cap, session.DownloadLimit);
        await AssertCapHoldsAsync(clock, (torrent, options) => TorrentClient.DownloadAsync(session, torrent, options with { DownloadLimit = Own(torrentLimit, clock) }, null, Ct));
    }

    [Theory]
    [MemberData(nameof(TorrentLimits))]
    public async Task TorrentSession_TwoHandlesUnderTheSessionsCap_TakeTogetherWhatItsBucketEarnsAndNoMore(string torrentLimit)
    {
        var clock = new ManualClock();
        var cap = new RateLimit(Rate, clock: clock);
        await using var session = TorrentSession.Start(Loopback(cap));
        Assert.Same(cap, session.DownloadLimit);
        await AssertCapHoldsAsync(clock, (torrent, options) => CompletedAsync(session.Add(torrent, options with { DownloadLimit = Own(torrentLimit, clock) })));
    }

    /// <summary>The torrent's own limit of a row: none, an unlimited one, or one above the session's cap.</summary>
    private static RateLimit? Own(string torrentLimit, ManualClock clock) => torrentLimit switch
    {
        "own unlimited" => new RateLimit(0, clock: clock),
        "own above the session's" => new RateLimit(4 * Rate, clock: clock), // made without the session as a parent
        _ => null,
    };

    /// <summary>The handle's run, as a task: its result once completed, its error once failed.</summary>
    private static async Task<DownloadResult> CompletedAsync(TorrentHandle handle)
    {
        var version = handle.Version;
        while (true)
        {
            if (handle.State == TorrentState.Completed) return handle.Result!;
            if (handle.State == TorrentState.Failed) throw handle.Error!;
            version = await handle.WaitForChangeAsync(version, Ct);
        }
    }

    /// <summary>Downloads two torrents from a seeder each through <paramref name="download"/>, advancing the clock step by
    /// step: at every step the bytes sent together stay within what the session's bucket earned (one block of debt at
    /// most), and over the whole download they come within 10 % of the cap.</summary>
    private static async Task AssertCapHoldsAsync(ManualClock clock, Func<TorrentLab.Metainfo.Torrent, DownloadOptions, Task<DownloadResult>> download)
    {
        var a = TestTorrents.SingleFile(length: Size, pieceLength: 64 * 1024, name: "a.bin", announce: null, seed: 51);
        var b = TestTorrents.SingleFile(length: Size, pieceLength: 64 * 1024, name: "b.bin", announce: null, seed: 52);
        await using var seedA = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(a.Torrent, a.Payload));
        await using var seedB = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(b.Torrent, b.Payload));
        using var folder = new TempFolder();
        var runA = download(a.Torrent, new DownloadOptions { OutputDirectory = folder.Path, ExtraPeers = [seedA.EndPoint] });
        var runB = download(b.Torrent, new DownloadOptions { OutputDirectory = folder.Path, ExtraPeers = [seedB.EndPoint] });

        long Sent() => seedA.BytesUploaded + seedB.BytesUploaded;
        var advanced = TimeSpan.Zero;
        for (var steps = 0; Sent() < 2 * Size; steps++)
        {
            Assert.True(steps < 400, $"stuck at {Sent()} bytes"); // 2 * 512 KiB at two blocks a step: 32 steps and the first burst
            // The session's bucket starts with a quarter second (two blocks) and earns two blocks a step; both
            // torrents draw on it, so together they get what it earned, and one block of debt beyond it at most.
            long earned = Block * 2 + (long)(Rate * advanced.TotalSeconds);
            var wanted = Math.Min(2 * Size, earned);
            await Wait.UntilAsync(() => Sent() >= wanted || (runA.IsCompleted && runB.IsCompleted), TimeSpan.FromSeconds(60), Ct); // polls for the bytes, at most 60 s
            Assert.InRange(Sent(), Math.Min(wanted, 2L * Size), earned + Block);
            if (Sent() >= 2 * Size) break;
            clock.Advance(Step);
            advanced += Step;
        }
        await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        // Over the whole download, the bytes per second of the clock: within 10 % of the cap (the first burst aside).
        var rate = (2.0 * Size - 2 * Block) / advanced.TotalSeconds;
        Assert.InRange(rate, 0.9 * Rate, 1.1 * Rate);
        Assert.Equal(a.Payload, File.ReadAllBytes(folder.Combine("a.bin")));
        Assert.Equal(b.Payload, File.ReadAllBytes(folder.Combine("b.bin")));
    }

    [Fact]
    public async Task Start_WithoutLimits_HasUnlimitedOnesToSetWhileItRuns()
    {
        var settings = Loopback(null);
        await using var session = Session.Start(settings);
        Assert.False(session.DownloadLimit.IsLimited);
        Assert.False(session.UploadLimit.IsLimited);
        session.UploadLimit.BytesPerSecond = 1000;
        Assert.True(Session.LimitUnder(null, session.UploadLimit).IsLimited);
        Assert.True(Session.LimitUnder(new RateLimit(), session.UploadLimit).IsLimited); // a torrent's own limit sits under it
    }
}
