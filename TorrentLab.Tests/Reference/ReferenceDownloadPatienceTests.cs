using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Reference;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Reliability;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reference;

/// <summary>The reference path's own patience, with the session's default settings (the swarm engine's 3 min idle
/// timeout): a first peer that gives nothing is given up on after 30 s for the next one, and a peer that rejects every
/// request is asked at most once per block a second. The peers are scripted on real loopback sockets; the session's
/// clock is a manual one that the test moves, so 30 s pass without waiting 30 s.</summary>
public class ReferenceDownloadPatienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>How long the test waits on the wall clock for what the sockets do between two moves of the manual
    /// clock: patience on a loaded machine, never a figure asserted.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    // 8 pieces of one block each: every request of the torrent fits in one pipeline.
    private static TestTorrents.Built Torrent() =>
        TestTorrents.SingleFile(length: 8 * 16384, pieceLength: 16384, name: "patience.bin", seed: 84);

    private static DownloadOptions Options(string output, ManualClock clock, ConcurrentQueue<string> log, params IPEndPoint[] peers) => new()
    {
        Session = new SessionSettings { ListenPort = 0, Time = clock }, // every timeout at its default
        OutputDirectory = output,
        MaxPeers = 1,        // the reference path, as --max-peers 1 runs it
        Trackers = [],       // the peers are given, in this order
        ExtraPeers = peers,
        Log = log.Enqueue,
    };

    /// <summary>The honest seeder second in line.</summary>
    private static HostilePeer Honest(TestTorrents.Built built) => HostilePeer.Start(built, s => s.ServeHonestlyAsync());

    [Fact]
    public async Task FirstPeerOnlySendsKeepAlives_IsGivenUpOnAfterThirtySeconds_AndTheSecondPeerCompletesTheDownload()
    {
        var built = Torrent();
        using var folder = new TempFolder("torrentlab-patience");
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        var keepAlives = 0;
        // Has every piece, never unchokes, and sends a keep-alive every 10 s of the manual clock: alive, but useless.
        await using var idle = HostilePeer.Start(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            var next = Task.Delay(TimeSpan.FromSeconds(10), clock, s.Ct);
            while (true)
            {
                await next;
                next = Task.Delay(TimeSpan.FromSeconds(10), clock, s.Ct); // armed before this one counts: time never outruns it
                await s.SendAsync(PeerMessage.KeepAlive);
                Interlocked.Increment(ref keepAlives);
            }
        });
        await using var honest = Honest(built);
        var log = new ConcurrentQueue<string>();

        var download = ReferenceDownload.RunAsync(built.Torrent, Options(folder.Path, clock, log, idle.EndPoint, honest.EndPoint), null, Ct);
        // Time moves only once the first peer is connected: its stall deadline armed (30 s), its keep-alives due (10 s).
        await Wait.UntilAsync(() => clock.PendingTimers.Contains(ReferenceDownload.PeerStallTimeout) && clock.PendingTimers.Contains(TimeSpan.FromSeconds(10)),
            Patience, "the first peer's stall deadline and keep-alives were never armed", Ct);
        for (var second = 1; second < 30; second++)
        {
            clock.Advance(Second);
            await Wait.UntilAsync(() => Volatile.Read(ref keepAlives) == second / 10, Patience, $"the keep-alive due at {second} s was not sent", Ct);
        }
        Assert.False(download.IsCompleted);                      // 29 s: still waiting for the first peer,
        Assert.DoesNotContain(log, line => line.StartsWith("dropped", StringComparison.Ordinal)); // not yet given up
        clock.Advance(Second);                                    // 30 s: the stall deadline

        // No more time passes: the download finishes from the second peer at 30 s, well within 45 s (not 3 min).
        var result = await download.WaitAsync(Patience, Ct);

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("patience.bin")));
        Assert.Equal([honest.EndPoint.ToString()], result.PeersUsed);
        Assert.Contains($"dropped {idle.EndPoint}: stalled: no unchoke or block for 30 s", log);
        Assert.Equal(TimeSpan.FromSeconds(30), clock.GetUtcNow() - start);
        Assert.True(keepAlives >= 2, $"{keepAlives} keep-alives sent before the deadline"); // and they did not count as progress
    }

    [Fact]
    public async Task AStallTimeoutShorterThanThirtySeconds_IsEachPeersDeadline()
    {
        // --stall-timeout with --max-peers 1: the setting is honoured on the reference path too (per peer).
        var built = Torrent();
        using var folder = new TempFolder("torrentlab-patience");
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        await using var idle = HostilePeer.Start(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            while (true) await s.ReceiveAsync(); // reads what it is sent; never unchokes, never speaks again
        });
        await using var honest = Honest(built);
        var log = new ConcurrentQueue<string>();
        var options = Options(folder.Path, clock, log, idle.EndPoint, honest.EndPoint) with { StallTimeout = TimeSpan.FromSeconds(5) };

        var download = ReferenceDownload.RunAsync(built.Torrent, options, null, Ct);
        await Wait.UntilAsync(() => clock.PendingTimers.Contains(TimeSpan.FromSeconds(5)), Patience, "the first peer's 5 s deadline was never armed", Ct);
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(download.IsCompleted);
        clock.Advance(Second);
        var result = await download.WaitAsync(Patience, Ct);

        Assert.Equal([honest.EndPoint.ToString()], result.PeersUsed);
        Assert.Contains($"dropped {idle.EndPoint}: stalled: no unchoke or block for 5 s", log);
        Assert.Equal(TimeSpan.FromSeconds(5), clock.GetUtcNow() - start);
    }

    [Fact]
    public async Task FirstPeerRejectsEveryRequest_IsAskedAtMostOncePerBlockPerSecond_ThenGivenUpOnForTheSecondPeer()
    {
        var built = Torrent();
        using var folder = new TempFolder("torrentlab-patience");
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        var received = new ConcurrentQueue<string>();
        // BEP 6 allows a peer to reject; this one has every piece, unchokes, and rejects every request it gets.
        await using var rejecter = HostilePeer.Start(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            while (true)
            {
                var m = await s.ReceiveAsync();
                if (m.Kind == MessageKind.Interested) await s.SendAsync(PeerMessage.Unchoke);
                if (m.Kind != MessageKind.Request) continue;
                received.Enqueue(m.Fields);
                await s.SendAsync(PeerMessage.Reject(m.Index, m.Begin, m.Length));
            }
        }, fast: true);
        await using var honest = Honest(built);
        var log = new ConcurrentQueue<string>();
        // Each request to the rejecter, stamped with the manual clock as the download sends it.
        var sent = new ConcurrentQueue<(string Block, TimeSpan At)>();
        var options = Options(folder.Path, clock, log, rejecter.EndPoint, honest.EndPoint) with
        {
            Trace = e =>
            {
                if (e is { Direction: WireDirection.Sent, Kind: MessageKind.Request } && e.Peer.Equals(rejecter.EndPoint))
                    sent.Enqueue((e.Fields, clock.GetUtcNow() - start));
            },
        };

        var download = ReferenceDownload.RunAsync(built.Torrent, options, null, Ct);
        // Each second: once the download waits out a pause (a timer due within the second), time moves on a second.
        for (var second = 0; second < 30; second++)
        {
            await Wait.UntilAsync(() => clock.NextTimerIn <= Second, Patience, $"at {second} s the download was not pausing after a reject", Ct);
            clock.Advance(Second);
        }
        var result = await download.WaitAsync(Patience, Ct);   // 30 s after the unchoke: given up on, the second peer serves

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("patience.bin")));
        Assert.Equal([honest.EndPoint.ToString()], result.PeersUsed);
        Assert.Contains($"dropped {rejecter.EndPoint}: stalled: no unchoke or block for 30 s", log);
        // At most one request per block per second: each block's requests at least a second apart...
        foreach (var block in sent.GroupBy(r => r.Block))
        {
            var times = block.Select(r => r.At).Order().ToList();
            for (var i = 1; i < times.Count; i++)
                Assert.True(times[i] - times[i - 1] >= Second, $"{block.Key} asked at {times[i - 1]} and again at {times[i]}");
        }
        // ...so over the 30 s it was connected the rejecter received at most 31 a block (it had 6.5 million in 90 s),
        // and each block was asked again after its pause rather than dropped for good.
        var perBlock = received.GroupBy(f => f).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(built.Torrent.PieceCount, perBlock.Count);
        Assert.All(perBlock, pair => Assert.InRange(pair.Value, 2, 31));
    }
}
