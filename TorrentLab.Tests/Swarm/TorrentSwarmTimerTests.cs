using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary><c>Swarm/TorrentSwarm.Timer.cs</c> and the dialler's back-off, on virtual time: a swarm whose session runs on
/// a manual clock, and peers the test plays by hand over loopback. Each rule is shown to act once its time has passed
/// and not a tick before, without waiting for real seconds.</summary>
public class TorrentSwarmTimerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    /// <summary>A swarm of a 64-piece torrent on <paramref name="ticks"/>' clock, its pieces in a fake storage, started.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public required SwarmTicks Ticks { get; init; }
        public required Session Session { get; init; }
        public required TorrentSwarm Swarm { get; init; }
        public required ConcurrentQueue<string> Log { get; init; }
        public Torrent Torrent => Swarm.Torrent;

        /// <param name="sessionIdleTimeout">True: the session's default idle timeout; false: one longer than any test
        /// here moves the clock, so no peer goes idle.</param>
        public static Rig Start(bool downloading, Func<DownloadOptions, DownloadOptions>? tweak = null, bool sessionIdleTimeout = false)
        {
            var ticks = new SwarmTicks();
            var built = TestTorrents.SingleFile(length: 64 * 16 * 1024, pieceLength: 16 * 1024, announce: null, seed: 71);
            var session = Session.Start(new SessionSettings
            {
                ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
                Encryption = EncryptionPolicy.Off, // one connection per dial: no plaintext redial after a refused MSE handshake
                // Longer than any test here moves the clock, so no peer goes idle, unless the test is about that.
                IdleTimeout = sessionIdleTimeout ? new SessionSettings().IdleTimeout : TimeSpan.FromMinutes(10),
                Time = ticks.Clock,
            });
            var log = new ConcurrentQueue<string>();
            var options = new DownloadOptions { OutputDirectory = ".", Log = log.Enqueue };
            var have = downloading ? new Bitfield(built.Torrent.PieceCount) : Bitfield.Full(built.Torrent.PieceCount);
            var swarm = new TorrentSwarm(session, built.Torrent, tweak?.Invoke(options) ?? options, new FakePieceStorage { ReadsZeros = true }, have, downloading)
            {
                Progress = ticks,
            };
            swarm.Start();
            return new Rig { Ticks = ticks, Session = session, Swarm = swarm, Log = log };
        }

        /// <summary>A peer the test plays, dialling in to the session. It sends only what the test makes it send: its
        /// own keep-alive runs on the real clock, and a loaded machine can spend two real minutes moving the swarm's
        /// clock through three virtual ones, so a keep-alive then would reach the swarm as a message at a virtual
        /// time nobody chose (a "silent" peer heard at 42 s).</summary>
        public async Task<HandPeer> ConnectAsync()
        {
            var quiet = new PeerConnectionOptions
            {
                PieceCount = Torrent.PieceCount, KeepAliveInterval = TimeSpan.FromDays(1), IdleTimeout = TimeSpan.FromDays(1),
            };
            var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Session.Port), Torrent.InfoHash,
                PeerId.CreateOurs(), quiet, Ct);
            return new HandPeer(connection);
        }

        public async ValueTask DisposeAsync()
        {
            await Swarm.DisposeAsync();
            await Session.DisposeAsync();
        }
    }

    /// <summary>A peer played by the test: it records every message the swarm sends it.</summary>
    private sealed class HandPeer : IAsyncDisposable
    {
        private readonly ConcurrentQueue<(MessageKind Kind, BlockRequest Block)> _received = new();
        private readonly Task _reading;

        public HandPeer(PeerConnection connection)
        {
            Connection = connection;
            _reading = ReadAsync();
        }

        public PeerConnection Connection { get; }

        /// <summary>The blocks the swarm sent messages of <paramref name="kind"/> about (requests, cancels), in order.</summary>
        public IReadOnlyList<BlockRequest> Blocks(MessageKind kind) => [.. _received.Where(m => m.Kind == kind).Select(m => m.Block)];

        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    var message = await Connection.ReceiveAsync(Ct);
                    _received.Enqueue((message.Kind, new BlockRequest(message.Index, message.Begin, message.Length)));
                }
            }
            catch (Exception e) when (e is WireException or OperationCanceledException) { }
        }

        /// <summary>Says "interested" and waits for the unchoke it earns (a downloading swarm has free slots): whatever
        /// the swarm queued for this peer before, it has received.</summary>
        public async Task RoundTripAsync()
        {
            await Connection.SendInterestedAsync(Ct);
            Assert.True(await CountingTimeProvider.EventuallyAsync(() => !Connection.PeerChoking, Patience), "no unchoke came");
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            await _reading;
        }
    }

    /// <summary>A downloading swarm with one hand peer that has every piece and unchoked it at virtual time zero; returns
    /// once the swarm's requests reached the peer.</summary>
    private static async Task<(Rig Rig, HandPeer Peer)> UnchokedByASeedAsync(Func<DownloadOptions, DownloadOptions> tweak)
    {
        var rig = Rig.Start(downloading: true, tweak);
        var peer = await rig.ConnectAsync();
        await peer.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), Ct);
        await peer.Connection.SendUnchokeAsync(Ct);
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => peer.Blocks(MessageKind.Request).Count > 0, Patience), "no request came");
        return (rig, peer);
    }

    [Fact]
    public async Task Snubbing_APeerThatUnchokedUsAndSendsNoBlock_IsSnubbedOnceTheSnubTimeoutHasPassed_NotBefore()
    {
        var snub = TimeSpan.FromSeconds(20);
        var (rig, peer) = await UnchokedByASeedAsync(o => o with { SnubTimeout = snub, RequestTimeout = TimeSpan.FromMinutes(5) });
        await using var _ = rig;
        await using var __ = peer;

        await rig.Ticks.AdvanceAsync(snub - Second + SwarmTicks.Tick); // the check at 19 s was handled

        Assert.DoesNotContain(rig.Log, l => l.Contains("snubbed us", StringComparison.Ordinal));
        await rig.Ticks.AdvanceAsync(Second); // the check at 20 s was handled
        Assert.Contains(rig.Log, l => l.EndsWith("snubbed us (no block for 20 s), its requests go to others", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequestTimeout_ARequestLeftUnanswered_IsCancelledOnceTheTimeoutHasPassed_NotBefore()
    {
        var timeout = TimeSpan.FromSeconds(20);
        var (rig, peer) = await UnchokedByASeedAsync(o => o with { RequestTimeout = timeout, SnubTimeout = TimeSpan.FromMinutes(5) });
        await using var _ = rig;
        await using var __ = peer;
        var first = peer.Blocks(MessageKind.Request)[0]; // requested at virtual time zero

        await rig.Ticks.AdvanceAsync(timeout - Second + SwarmTicks.Tick);

        await peer.RoundTripAsync();
        Assert.Empty(peer.Blocks(MessageKind.Cancel));
        await rig.Ticks.AdvanceAsync(Second);
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => peer.Blocks(MessageKind.Cancel).Contains(first), Patience),
            $"no cancel for {first}");
    }

    [Theory]
    [InlineData(true)]  // a seed we download from: it has every piece and keeps us choked, silent (a super-seed's wait)
    [InlineData(false)] // a leecher we seed: interested, choked by us, silent
    public async Task IdleTimeout_AChokedSilentPeer_IsKeptPastBep3sTwoMinutes_AndDroppedAtTheSessionsLimit_NotBefore(bool downloading)
    {
        // BEP 3: "Keepalives are generally sent once every two minutes"; libtorrent sends one after 60 s of silence.
        var limit = new SessionSettings().IdleTimeout;
        Assert.True(limit >= TimeSpan.FromMinutes(2.5), $"the default idle timeout {limit} leaves no margin over BEP 3's two minutes");
        await using var rig = Rig.Start(downloading, sessionIdleTimeout: true);
        await using var peer = await rig.ConnectAsync();
        if (downloading) await peer.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), Ct);
        else await peer.Connection.SendInterestedAsync(Ct);
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => rig.Swarm.PeersSnapshot() is [{ Spoke: true }], Patience), "the peer was not heard");
        var ours = rig.Swarm.PeersSnapshot()[0];
        // Silence counts from the moment our reader waits for the peer again, after handling its message: moving the
        // clock before that would start the count late.
        Assert.True(await CountingTimeProvider.EventuallyAsync(
            () => (downloading ? ours.Connection.AmInterested : ours.Connection.PeerInterested) && ours.Connection.WaitingForPeer, Patience),
            "the peer's message was not handled, or our reader never waited for the peer again");

        await rig.Ticks.AdvanceAsync(limit - Second); // a second short of the limit: well past two minutes of silence

        Assert.Equal([ours], rig.Swarm.PeersSnapshot());
        Assert.True(downloading ? ours.Connection.PeerChoking && ours.Connection.AmInterested : ours.Choking && ours.Connection.PeerInterested,
            "the peer is not the choked, interested one this test is about");
        Assert.DoesNotContain(rig.Log, l => l.Contains("idle timeout", StringComparison.Ordinal));
        rig.Ticks.Clock.Advance(Second); // not tick by tick: a seeder left with no peer stops its timer, and reports no tick
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => rig.Swarm.PeersSnapshot().Length == 0, Patience), $"the silent peer was kept past the limit; timers due in {string.Join(", ", rig.Ticks.Clock.PendingTimers)}; {string.Join(" | ", rig.Log)}");
        Assert.Contains(rig.Log, l => l.EndsWith($"disconnected (no message for {limit.TotalSeconds:0} s (idle timeout))", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stall_NoBlockForTheStallTimeout_FailsTheDownloadThen_NotBefore()
    {
        var stall = TimeSpan.FromSeconds(10);
        await using var rig = Rig.Start(downloading: true, o => o with { StallTimeout = stall });

        // The timer first looks at the download after 1 s: the stall clock starts there, and runs out at 11 s.
        await rig.Ticks.AdvanceAsync(stall + SwarmTicks.Tick); // the check at 10 s was handled

        Assert.False(rig.Swarm.Failure.IsCompleted);
        await rig.Ticks.AdvanceAsync(Second); // the check at 11 s
        var e = await Assert.ThrowsAsync<DownloadFailedException>(() => rig.Swarm.Failure);
        Assert.StartsWith("no peer delivered data for 10 s: 0 connected, 0 banned", e.Message);
    }

    [Fact]
    public async Task ChokingRound_AnUploadCapNotFilled_OpensASlotForAWaitingPeerAtTheNextRound_TenSecondsAfterTheLast()
    {
        // One upload slot (the optimistic one) under a cap we are far from filling: the first interested peer takes it at
        // once, the second waits for the next round (BEP 3: every ten seconds), which opens one more slot for it.
        await using var rig = Rig.Start(downloading: false, o => o with
        {
            UploadSlots = 1,
            UploadLimit = new RateLimit(1 << 20, clock: TimeProvider.System),
        });
        // Another complete source in sight ends a lone seed's first copy (which opens a slot for every interested peer)
        // for good, also once it left: what is tested here is the choker's own rule. The other seed is dropped at once.
        await using (var otherSeed = await rig.ConnectAsync())
        {
            await otherSeed.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), Ct);
            Assert.True(await CountingTimeProvider.EventuallyAsync(() => rig.Log.Any(l => l.Contains("both sides are seeds", StringComparison.Ordinal))
                && rig.Swarm.PeersSnapshot().Length == 0, Patience), "the other seed stayed");
        }
        Assert.True(rig.Swarm.FirstCopy is { Active: false }, "the first copy came back when the other seed left");
        await using var first = await rig.ConnectAsync();
        await first.Connection.SendInterestedAsync(Ct);
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => !first.Connection.PeerChoking, Patience), "the first peer was not unchoked");
        await first.Connection.SendRequestAsync(0, 0, 16 * 1024, Ct); // it uses its slot (one that asks for nothing loses it)
        await using var second = await rig.ConnectAsync();
        await second.Connection.SendInterestedAsync(Ct);
        Assert.True(await CountingTimeProvider.EventuallyAsync(
            () => rig.Swarm.PeersSnapshot().Count(p => p.Connection.PeerInterested) == 2 && first.Blocks(MessageKind.Piece).Count == 1, Patience));

        await rig.Ticks.AdvanceAsync(Choker.Interval - Second + SwarmTicks.Tick); // the second at 9 s was handled

        var peers = rig.Swarm.PeersSnapshot(); // in the order they came: the first, the second
        Assert.Equal([false, true], peers.Select(p => p.Choking));
        await rig.Ticks.AdvanceAsync(Second); // the round at 10 s
        Assert.Equal([false, false], peers.Select(p => p.Choking));
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => !second.Connection.PeerChoking, Patience), "the unchoke never reached the second peer");
    }

    [Fact]
    public async Task Dialling_AnAddressThatFailed_IsTriedAgainOnlyAfterItsBackOff_WhichDoublesWithEachFailure()
    {
        // A listener that accepts and closes at once: each dial fails its handshake. PeerBook: 2 s doubled per failure.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var dials = 0;
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var socket = await listener.AcceptSocketAsync(Ct);
                    Interlocked.Increment(ref dials);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException) { } // stopped
        }, Ct);
        var address = (IPEndPoint)listener.LocalEndpoint;
        await using var rig = Rig.Start(downloading: true, o => o with { ExtraPeers = [address] });
        var clock = rig.Ticks.Clock;

        foreach (var (failures, backOff) in new[] { (1, TimeSpan.FromSeconds(4)), (2, TimeSpan.FromSeconds(8)) })
        {
            Assert.True(await CountingTimeProvider.EventuallyAsync(() => Volatile.Read(ref dials) == failures, Patience));
            // The dialler sleeps until the address is due (and 10 ms more): wait until it did, then move time to just before.
            var wait = backOff + TimeSpan.FromMilliseconds(10);
            Assert.True(await CountingTimeProvider.EventuallyAsync(() => clock.PendingTimers.Contains(wait), Patience), $"no dial wait of {wait}");
            clock.Advance(backOff - SwarmTicks.Tick);
            Assert.Equal(failures, Volatile.Read(ref dials));
            clock.Advance(SwarmTicks.Tick + TimeSpan.FromMilliseconds(10));
        }
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => Volatile.Read(ref dials) == 3, Patience));
        listener.Stop();
        await accepting;
    }
}
