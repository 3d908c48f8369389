using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Simulation;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary><c>Swarm/TorrentSwarm.Timer.cs</c> and the dialler's back-off on the simulated network: the swarm's
/// session on one simulated host, a peer the test plays by hand on another, one virtual clock for both. Every message
/// and log line is stamped with the virtual time it happened at, so each rule is shown to act once its time has passed
/// and not a tick before, with nothing racing: the clock moves only when nothing else can run.</summary>
/// <remarks>Before, these ran on a manual clock with the hand peer on real loopback sockets, and a loaded machine could
/// let a real-time event land at a virtual time nobody chose. The idle timeout's test stays in
/// <see cref="TorrentSwarmTimerTests"/>.</remarks>
[Trait("Tier", "Slow")] // each run is a process of its own
public class TorrentSwarmTimerSimulatedTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    /// <summary>The swarm checks its peers on every fourth tick of its 250 ms timer (<c>TorrentSwarm.Timer.cs</c>).</summary>
    private static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Each host is 5 ms from the core: a message between the two takes 10 ms (the bytes here are few).</summary>
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void Snubbing_APeerThatUnchokedUsAndSendsNoBlock_IsSnubbedOnceTheSnubTimeoutHasPassed_NotBefore() =>
        Simulated.Passes(Snubbing, seed: 1);

    [Fact]
    public void RequestTimeout_ARequestLeftUnanswered_IsCancelledOnceTheTimeoutHasPassed_NotBefore() =>
        Simulated.Passes(RequestTimeout, seed: 2);

    [Fact]
    public void Stall_NoBlockForTheStallTimeout_FailsTheDownloadThen_NotBefore() =>
        Simulated.Passes(Stall, seed: 3);

    [Fact]
    public void ChokingRound_AnUploadCapNotFilled_OpensASlotForAWaitingPeerAtTheSlotRuleNextRound_WithinTenSeconds() =>
        Simulated.Passes(ChokingRound, seed: 4);

    [Fact]
    public void ChokingRound_AnUnchokedPeerThatLosesInterest_GivesItsSlotToAWaitingPeerAtOnce_NotAtTheNextRound() =>
        Simulated.Passes(InterestLost, seed: 9);

    [Fact]
    public void IgnoredUnchoke_APeerThatAskedForNothing_KeepsItsSlotUntilAnotherWantsIt_AndGetsItBackOnceFree() =>
        Simulated.Passes(IgnoredUnchoke, seed: 8);

    [Fact]
    public void UploadSlots_ASeedWithoutALimit_OpensMoreThanFourWhileEveryPeerTakesItsShare_AndClosesThemWhenTheyStopAsking() =>
        Simulated.Passes(RateSlots, seed: 6);

    [Fact]
    public void UploadSlots_ADownloadWithoutALimit_OpensMoreThanFourWhileEveryPeerTakesItsShare_AndClosesThemWhenTheyStopAsking() =>
        Simulated.Passes(RateSlotsWhileDownloading, seed: 6);

    [Fact]
    public void Pipeline_APeerThatAnswersInBurstsAfterAWaitForItsUnchoke_GetsAPipelineThatGrowsWithEachBurst() =>
        Simulated.Passes(Bursts, seed: 7);

    [Fact]
    public void Dialling_AnAddressThatFailed_IsTriedAgainOnlyAfterItsBackOff_WhichDoublesWithEachFailure_TheSameWayForTheSameSeed() =>
        Simulated.Deterministic(Dialling, seed: 5);

    /// <summary>A swarm of a torrent (64 pieces of 16 KiB unless told) on a host of its own, its pieces in a fake storage, started; its log lines
    /// stamped with the virtual time.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public required SimRun Sim { get; init; }
        public required SimHost Host { get; init; }
        public required Session Session { get; init; }
        public required TorrentSwarm Swarm { get; init; }
        public required List<(TimeSpan At, string Line)> Log { get; init; }
        public TorrentLab.Metainfo.Torrent Torrent => Swarm.Torrent;
        public IPEndPoint Address => new(Host.Address, Session.Port);

        public required TestTorrents.Built Built { get; init; }

        public static Rig Start(SimRun sim, bool downloading, Func<DownloadOptions, DownloadOptions>? tweak = null, Func<int, Bitfield>? have = null,
            int pieceCount = 64, int pieceLength = 16 * 1024)
        {
            var host = sim.Network.AddHost("swarm", LinkSpec.Fast);
            var built = TestTorrents.SingleFile(length: pieceCount * pieceLength, pieceLength: pieceLength, announce: null, seed: 71);
            var session = Session.Start(sim.SessionOn(host, new SessionSettings
            {
                ListenPort = 6881, Transport = PeerTransport.Tcp, Dht = false,
                Encryption = EncryptionPolicy.Off, // one connection per dial: no plaintext redial after a refused MSE handshake
                IdleTimeout = TimeSpan.FromMinutes(10), // longer than any test here runs: no peer goes idle
            }));
            var log = new List<(TimeSpan, string)>();
            var options = new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(host), Trackers = [],
                Log = line =>
                {
                    host.LogLine(line);
                    log.Add((sim.Clock.Now, line));
                },
            };
            var pieces = have?.Invoke(built.Torrent.PieceCount) ?? (downloading ? new Bitfield(built.Torrent.PieceCount) : Bitfield.Full(built.Torrent.PieceCount));
            var swarm = new TorrentSwarm(session, built.Torrent, tweak?.Invoke(options) ?? options, new FakePieceStorage { ReadsZeros = true }, pieces, downloading);
            swarm.Start();
            return new Rig { Sim = sim, Host = host, Session = session, Swarm = swarm, Log = log, Built = built };
        }

        /// <summary>When the first log line containing <paramref name="text"/> was written, or null.</summary>
        public TimeSpan? Logged(string text) =>
            Log.FirstOrDefault(l => l.Line.Contains(text, StringComparison.Ordinal)) is { Line: not null } hit ? hit.At : null;

        public string AllLines => string.Join("\n", Log.Select(l => $"{l.At} {l.Line}"));

        /// <summary>A peer the test plays, on a host of its own, dialling in to the swarm.</summary>
        public async Task<HandPeer> ConnectAsync(string name)
        {
            var host = Sim.Network.AddHost(name, LinkSpec.Fast);
            var quiet = new PeerConnectionOptions
            {
                PieceCount = Torrent.PieceCount, KeepAliveInterval = TimeSpan.FromDays(1), IdleTimeout = TimeSpan.FromDays(1),
                Network = host, Time = Sim.Clock,
            };
            var connection = await PeerConnection.ConnectAsync(Address, Torrent.InfoHash, PeerId.CreateOurs(), quiet, CancellationToken.None);
            return new HandPeer(Sim, connection);
        }

        public async ValueTask DisposeAsync()
        {
            await Swarm.DisposeAsync();
            await Session.DisposeAsync();
        }
    }

    /// <summary>A peer played by the test: every message the swarm sends it, with the virtual time it arrived.</summary>
    private sealed class HandPeer : IAsyncDisposable
    {
        private readonly SimRun _sim;
        private readonly Task _reading;

        public HandPeer(SimRun sim, PeerConnection connection)
        {
            _sim = sim;
            Connection = connection;
            _reading = ReadAsync();
        }

        public PeerConnection Connection { get; }
        public List<(TimeSpan At, MessageKind Kind, BlockRequest Block)> Received { get; } = [];

        /// <summary>Called with each message once it is recorded (the peer's answer, sent before the next is read).</summary>
        public Func<PeerMessage, Task>? Answer { get; set; }

        /// <summary>True when the last choke or unchoke it received was an unchoke.</summary>
        public bool Unchoked => Received.LastOrDefault(m => m.Kind is MessageKind.Choke or MessageKind.Unchoke).Kind == MessageKind.Unchoke;

        /// <summary>When the first message of <paramref name="kind"/> arrived, or null.</summary>
        public TimeSpan? First(MessageKind kind) => Received.FirstOrDefault(m => m.Kind == kind) is { Kind: var k } m && k == kind ? m.At : null;

        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    var message = await Connection.ReceiveAsync(CancellationToken.None);
                    Received.Add((_sim.Clock.Now, message.Kind, new BlockRequest(message.Index, message.Begin, message.Length)));
                    if (Answer is { } answer) await answer(message);
                }
            }
            catch (Exception e) when (e is WireException or OperationCanceledException or IOException or ObjectDisposedException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            await _reading;
        }
    }

    /// <summary>A downloading swarm with a hand peer that has every piece and unchokes it; returns once the swarm's
    /// requests reached the peer, with the virtual time the unchoke was sent.</summary>
    private static async Task<(Rig Rig, HandPeer Peer, TimeSpan UnchokedAt)> UnchokedByASeedAsync(SimRun sim, Func<DownloadOptions, DownloadOptions> tweak)
    {
        var rig = Rig.Start(sim, downloading: true, tweak);
        var peer = await rig.ConnectAsync("seed");
        await peer.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), CancellationToken.None);
        var unchokedAt = sim.Clock.Now;
        await peer.Connection.SendUnchokeAsync(CancellationToken.None);
        Assert.True(await sim.WaitUntil(() => peer.First(MessageKind.Request) is not null, TimeSpan.FromSeconds(5)), "no request came");
        return (rig, peer, unchokedAt);
    }

    internal static async Task Snubbing(SimRun sim)
    {
        var snub = TimeSpan.FromSeconds(20);
        var (rig, peer, unchokedAt) = await UnchokedByASeedAsync(sim, o => o with { SnubTimeout = snub, RequestTimeout = TimeSpan.FromMinutes(5) });
        await using var _ = rig;
        await using var __ = peer;

        Assert.True(await sim.WaitUntil(() => rig.Logged("snubbed us") is not null, TimeSpan.FromMinutes(1)), rig.AllLines);

        // The snub clock starts when the unchoke arrives (one way after it was sent); the next check after the timeout acts.
        var at = rig.Logged("snubbed us (no block for 20 s), its requests go to others")!.Value - unchokedAt;
        Assert.InRange(at, snub + OneWay, snub + OneWay + CheckPeriod);
    }

    internal static async Task RequestTimeout(SimRun sim)
    {
        var timeout = TimeSpan.FromSeconds(20);
        var (rig, peer, _) = await UnchokedByASeedAsync(sim, o => o with { RequestTimeout = timeout, SnubTimeout = TimeSpan.FromMinutes(5) });
        await using var __ = rig;
        await using var ___ = peer;
        var (requestedAt, _, first) = peer.Received.First(m => m.Kind == MessageKind.Request);

        Assert.True(await sim.WaitUntil(() => peer.Received.Any(m => m.Kind == MessageKind.Cancel && m.Block == first), TimeSpan.FromMinutes(1)),
            $"no cancel for {first}\n{rig.AllLines}");

        // Sent one way before it arrived; cancelled by the first check at or after its timeout, arriving one way later.
        var cancelledAt = peer.Received.First(m => m.Kind == MessageKind.Cancel && m.Block == first).At;
        Assert.InRange(cancelledAt - requestedAt, timeout, timeout + CheckPeriod);
        Assert.DoesNotContain(peer.Received, m => m.Kind == MessageKind.Cancel && m.At < requestedAt + timeout);
    }

    internal static async Task Stall(SimRun sim)
    {
        var stall = TimeSpan.FromSeconds(10);
        var started = sim.Clock.Now;
        await using var rig = Rig.Start(sim, downloading: true, o => o with { StallTimeout = stall });

        var e = await Assert.ThrowsAsync<DownloadFailedException>(() => rig.Swarm.Failure);

        // The timer first looks at the download after 1 s: the stall clock starts there, and runs out at 11 s.
        Assert.Equal(stall + CheckPeriod, sim.Clock.Now - started);
        Assert.StartsWith("no peer delivered data for 10 s: 0 connected, 0 banned", e.Message);
    }

    internal static async Task ChokingRound(SimRun sim)
    {
        // The first interested peer takes the one slot at once, the second waits for the next round (BEP 3: every ten
        // seconds), which opens one more slot for it.
        var (rig, first) = await OneSlotTakenAsync(sim);
        await using var _ = rig;
        await using var __ = first;
        await using var second = await rig.ConnectAsync("second");
        await second.Connection.SendInterestedAsync(CancellationToken.None);

        Assert.True(await sim.WaitUntil(() => second.First(MessageKind.Unchoke) is not null, TimeSpan.FromSeconds(30)),
            $"the second peer was never unchoked\n{rig.AllLines}");

        // The first's unchoke came from the round its interest started. The slot rule runs on a clock of its own, every
        // ten seconds from the swarm's first check (not put off by the choke decisions that events make between rounds):
        // the second's slot opens at the first of its rounds after it waits, so within a round and a check.
        var waited = second.First(MessageKind.Unchoke)!.Value - first.First(MessageKind.Unchoke)!.Value;
        Assert.InRange(waited, TimeSpan.Zero, Choker.Interval + CheckPeriod);
        Assert.Single(first.Received, m => m.Kind == MessageKind.Piece);
        Assert.DoesNotContain(first.Received, m => m.Kind == MessageKind.Choke);
    }

    internal static async Task InterestLost(SimRun sim)
    {
        // The peer holding the one slot says it wants nothing more, and the interest change gives the slot to the peer
        // waiting for it at once, not at the slot rule's next round. A peer that joins in between (the swarm's list of
        // peers changes after the round that unchoked the first) changes nothing.
        var (rig, first) = await OneSlotTakenAsync(sim);
        await using var _ = rig;
        await using var __ = first;
        await using var waiting = await rig.ConnectAsync("waiting");
        await waiting.Connection.SendInterestedAsync(CancellationToken.None);
        await using var idle = await rig.ConnectAsync("joins, wants nothing");
        Assert.True(await sim.WaitUntil(() => rig.Swarm.PeersSnapshot().Length == 3, TimeSpan.FromSeconds(5)), rig.AllLines);
        Assert.False(waiting.Unchoked, $"the slot was not the first peer's alone\n{rig.AllLines}");

        var lost = sim.Clock.Now;
        await first.Connection.SendAsync(PeerMessage.NotInterested, CancellationToken.None);

        Assert.True(await sim.WaitUntil(() => waiting.Unchoked, TimeSpan.FromSeconds(30)), $"the waiting peer was never unchoked\n{rig.AllLines}");
        // Its not-interested one way to the seed, the unchoke one way back: not a check or a round later.
        Assert.InRange(waiting.First(MessageKind.Unchoke)!.Value - lost, TimeSpan.Zero, 3 * OneWay);
        Assert.False(first.Unchoked, $"the slot went to both\n{rig.AllLines}");
    }

    /// <summary>A seed with one upload slot (the optimistic one) under a cap it is far from filling, which the slot rule
    /// widens only at its rounds, ten seconds apart; its first copy ended; a first peer that took the slot and uses it
    /// (it asked for a block and got it: one that asks for nothing loses its slot).</summary>
    private static async Task<(Rig Rig, HandPeer First)> OneSlotTakenAsync(SimRun sim)
    {
        var rig = Rig.Start(sim, downloading: false, o => o with
        {
            UploadSlots = 1,
            UploadLimit = new RateLimit(1 << 20, clock: sim.Clock),
        });
        await EndFirstCopyAsync(sim, rig);
        var first = await rig.ConnectAsync("first");
        await first.Connection.SendInterestedAsync(CancellationToken.None);
        Assert.True(await sim.WaitUntil(() => first.Unchoked, TimeSpan.FromSeconds(5)), $"the first peer was not unchoked\n{rig.AllLines}");
        await first.Connection.SendRequestAsync(0, 0, 16 * 1024, CancellationToken.None);
        Assert.True(await sim.WaitUntil(() => first.Received.Any(m => m.Kind == MessageKind.Piece), TimeSpan.FromSeconds(5)), rig.AllLines);
        return (rig, first);
    }

    /// <summary>Another complete source in sight ends a lone seed's first copy (which opens a slot for every interested
    /// peer) for good, also once it left: what a test then sees is the choker's own rule. The other seed is dropped at
    /// once.</summary>
    private static async Task EndFirstCopyAsync(SimRun sim, Rig rig)
    {
        await using (var otherSeed = await rig.ConnectAsync("other seed"))
        {
            await otherSeed.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), CancellationToken.None);
            Assert.True(await sim.WaitUntil(() => rig.Log.Any(l => l.Line.Contains("both sides are seeds", StringComparison.Ordinal))
                && rig.Swarm.PeersSnapshot().Length == 0, TimeSpan.FromSeconds(5)), $"the other seed stayed\n{rig.AllLines}");
        }
        Assert.True(rig.Swarm.FirstCopy is { Active: false }, "the first copy came back when the other seed left");
    }

    internal static async Task IgnoredUnchoke(SimRun sim)
    {
        // A downloader whose wanted blocks are all asked of another peer asks us for nothing while we unchoke it (aria2
        // near the end of a download beside libtorrent). A peer may also say "interested" and never ask, to hold a
        // slot: it keeps it only while nobody else wants it. When its other source goes, it asks us again, and a choked
        // peer sends no request: the first free slot is its.
        await using var rig = Rig.Start(sim, downloading: false, o => o with { UploadSlots = 1 }); // the optimistic slot alone
        await EndFirstCopyAsync(sim, rig);
        await using var busy = await rig.ConnectAsync("busy elsewhere");
        await busy.Connection.SendInterestedAsync(CancellationToken.None);
        Assert.True(await sim.WaitUntil(() => busy.Unchoked, TimeSpan.FromSeconds(5)), $"the peer was not unchoked\n{rig.AllLines}");
        await sim.Delay(2 * Choker.Interval);
        Assert.True(busy.Unchoked, $"a peer that asked for nothing lost a slot nobody else wanted\n{rig.AllLines}");

        await using (var other = await rig.ConnectAsync("other"))
        {
            var arrived = sim.Clock.Now;
            await other.Connection.SendInterestedAsync(CancellationToken.None);
            Assert.True(await sim.WaitUntil(() => other.Unchoked && !busy.Unchoked, TimeSpan.FromSeconds(30)),
                $"the slot stayed with the peer that asked for nothing\n{rig.AllLines}");
            Assert.InRange(other.First(MessageKind.Unchoke)!.Value - arrived, TimeSpan.Zero, CheckPeriod + 2 * OneWay);
            await other.Connection.SendRequestAsync(0, 0, 16 * 1024, CancellationToken.None);
            Assert.True(await sim.WaitUntil(() => other.Received.Any(m => m.Kind == MessageKind.Piece), TimeSpan.FromSeconds(5)), rig.AllLines);
        }
        var left = sim.Clock.Now;

        Assert.True(await sim.WaitUntil(() => busy.Unchoked, TimeSpan.FromMinutes(2)),
            $"choked for asking nothing, and never unchoked again once the slot was free\n{rig.AllLines}");
        Assert.InRange(busy.Received.Last(m => m.Kind == MessageKind.Unchoke).At - left, TimeSpan.Zero, Choker.Interval + CheckPeriod);
        await busy.Connection.SendRequestAsync(1, 0, 16 * 1024, CancellationToken.None);
        Assert.True(await sim.WaitUntil(() => busy.Received.Any(m => m.Kind == MessageKind.Piece), TimeSpan.FromSeconds(5)),
            $"the request after the second unchoke got no block\n{rig.AllLines}");
    }

    internal static Task RateSlots(SimRun sim) => RateSlotsOf(sim, downloading: false);

    /// <summary>The same rule while downloading: a download with half the pieces, which ten peers that have none want.
    /// (Four slots left a fast peer's upload mostly idle while slow peers waited choked: bench/notes/swarm.md, "Upload slots
    /// while downloading".)</summary>
    internal static Task RateSlotsWhileDownloading(SimRun sim) => RateSlotsOf(sim, downloading: true);

    private static Bitfield EvenPieces(int count)
    {
        var pieces = new Bitfield(count);
        for (var i = 0; i < count; i += 2) pieces.Set(i);
        return pieces;
    }

    private static async Task RateSlotsOf(SimRun sim, bool downloading)
    {
        // A seed with BEP 3's four slots, no upload limit, and a fast link; ten peers want its pieces and each keeps one
        // request out while unchoked (a block each round trip of 10 ms: 1.6 MB/s). Four upload slots leave six waiting however much upload is spare; the rate rule
        // (UploadSlots.cs) opens more while each unchoked peer's rate clears its rank's threshold.
        await using var rig = Rig.Start(sim, downloading, have: downloading ? EvenPieces : null);
        Assert.Equal(4, new DownloadOptions { OutputDirectory = "." }.UploadSlots);
        Assert.Equal(downloading, rig.Swarm.Downloading);
        // Another complete source ends a lone seed's first copy (which opens a slot per interested peer) for good.
        if (!downloading)
        {
            await using var otherSeed = await rig.ConnectAsync("other seed");
            await otherSeed.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), CancellationToken.None);
            Assert.True(await sim.WaitUntil(() => rig.Swarm.PeersSnapshot().Length == 0, TimeSpan.FromSeconds(5)), rig.AllLines);
        }
        var asking = true;
        var peers = new List<HandPeer>();
        for (var i = 0; i < 10; i++)
        {
            var peer = await rig.ConnectAsync($"peer {i}");
            var next = downloading ? 2 * i : i; // each asks for other pieces (those the swarm has), round the torrent
            peer.Answer = async message =>
            {
                if (message.Kind is not (MessageKind.Unchoke or MessageKind.Piece) || !asking) return;
                await peer.Connection.SendRequestAsync(next, 0, 16 * 1024, CancellationToken.None);
                next = (next + (downloading ? 2 : 1)) % rig.Torrent.PieceCount;
            };
            await peer.Connection.SendInterestedAsync(CancellationToken.None);
            peers.Add(peer);
        }
        var started = sim.Clock.Now;
        Assert.True(await sim.WaitUntil(() => peers.Count(p => p.Unchoked) == 4, TimeSpan.FromSeconds(5)), rig.AllLines);

        // Every peer gets megabytes a second here, far above the thresholds (1 KiB/s, then 2 KiB/s more a slot; a peer
        // unchoked less than 3 s ago counts as clearing its own until its rate shows): one slot opens at each check of
        // the timer, a second apart, until all ten upload at once.
        if (downloading)
        {
            // Ranked by their rates to us, all nought, the peers in the regular and optimistic slots may change at a
            // choke decision, so the first unchokes do not time the slots: the slot count does.
            var opened = new List<TimeSpan>();
            for (var slots = 5; slots <= 10; slots++)
            {
                var wanted = slots;
                Assert.True(await sim.WaitUntil(() => rig.Swarm.UploadSlotsNow >= wanted, TimeSpan.FromMinutes(1)),
                    $"{rig.Swarm.UploadSlotsNow} slots, {wanted} awaited\n{rig.AllLines}");
                opened.Add(sim.Clock.Now);
            }
            for (var k = 1; k < opened.Count; k++)
                Assert.True(opened[k] - opened[k - 1] >= CheckPeriod, $"slot {k + 5} opened {opened[k] - opened[k - 1]} after slot {k + 4}: more than one a check");
        }
        Assert.True(await sim.WaitUntil(() => peers.All(p => p.Unchoked), TimeSpan.FromMinutes(1)),
            $"{peers.Count(p => p.Unchoked)} unchoked of 10, {rig.Swarm.UploadSlotsNow} slots\n{rig.AllLines}");
        var unchokes = peers.Select(p => p.First(MessageKind.Unchoke)!.Value).Order().ToArray();
        if (!downloading)
        {
            for (var k = 5; k < unchokes.Length; k++) // the first four came as each said it was interested
                Assert.True(unchokes[k] - unchokes[k - 1] >= CheckPeriod, $"slot {k + 1} opened {unchokes[k] - unchokes[k - 1]} after slot {k}: more than one a check");
        }
        Assert.All(peers, p => Assert.Contains(p.Received, m => m.Kind == MessageKind.Piece));
        Assert.True(unchokes[^1] - started < Choker.Interval, $"the tenth slot opened {unchokes[^1] - started} after the start, not within a round");

        // They stop asking: their rates fall under every threshold, and a slot closes at each round (ten seconds) down
        // to BEP 3's four; the six peers choked again are the ones the choker ranks last.
        asking = false;
        var stopped = sim.Clock.Now;
        Assert.True(await sim.WaitUntil(() => rig.Swarm.UploadSlotsNow == 4, TimeSpan.FromMinutes(3)),
            $"{rig.Swarm.UploadSlotsNow} slots\n{rig.AllLines}");
        Assert.True(sim.Clock.Now - stopped >= 5 * Choker.Interval, $"six slots closed within {sim.Clock.Now - stopped}, faster than one a round");
        Assert.True(await sim.WaitUntil(() => peers.Count(p => p.Unchoked) == 4, TimeSpan.FromSeconds(5)),
            $"{peers.Count(p => p.Unchoked)} unchoked\n{rig.AllLines}");
        foreach (var peer in peers) await peer.DisposeAsync();
    }

    internal static async Task Bursts(SimRun sim)
    {
        // Transmission 3.00's way (SwarmInteropTests has the real one): it unchokes at its next choke round, seconds
        // after we said we are interested, then sends every block it was asked for in one burst every 500 ms. The
        // pipeline, not its upload, sets the rate: sized by a rate that counted the wait for the unchoke, it grew by a few
        // requests a burst (33-47 out while the first 300 blocks came from the real Transmission, and 12 MiB took 18.7 s
        // against libtorrent's 12.0). Counted from the first block, the rate is what each burst brought, and the
        // pipeline grows with it. 12 MiB in 256 KiB pieces: 768 blocks. Here, with seed 7: 99 requests out by the 300th
        // block and 6.05 s from the unchoke to the last block (bursts of 16, 16, 30, 60, 63, 74, ...); with the wait
        // counted, 46 and 10.5 s (bursts of 16 for the first 3.5 s).
        var (sent, received, mostOutstanding) = (0, 0, 0);
        await using var rig = Rig.Start(sim, downloading: true, pieceCount: 48, pieceLength: 256 * 1024, tweak: o => o with
        {
            Trace = e =>
            {
                if (e.Kind == MessageKind.Request && e.Direction == WireDirection.Sent) sent++;
                else if (e.Kind == MessageKind.Piece && e.Direction == WireDirection.Received) received++;
                if (received < 300) mostOutstanding = Math.Max(mostOutstanding, sent - received);
            },
        });
        await using var peer = await rig.ConnectAsync("bursts");
        var asked = new List<BlockRequest>();
        peer.Answer = message =>
        {
            if (message.Kind == MessageKind.Request) asked.Add(new BlockRequest(message.Index, message.Begin, message.Length));
            else if (message.Kind == MessageKind.Cancel) asked.Remove(new BlockRequest(message.Index, message.Begin, message.Length));
            return Task.CompletedTask;
        };
        await peer.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), CancellationToken.None);
        Assert.True(await sim.WaitUntil(() => peer.First(MessageKind.Interested) is not null, TimeSpan.FromSeconds(5)), rig.AllLines);
        await sim.Delay(TimeSpan.FromSeconds(6)); // its next choke round
        await peer.Connection.SendUnchokeAsync(CancellationToken.None);
        var unchokedAt = sim.Clock.Now;

        var blocks = rig.Torrent.TotalLength / (16 * 1024);
        var sizes = new List<int>();
        while (!rig.Swarm.Completion.IsCompleted && sizes.Count < 200)
        {
            await sim.Delay(TimeSpan.FromMilliseconds(500));
            var burst = asked.ToArray();
            asked.Clear();
            sizes.Add(burst.Length);
            foreach (var block in burst)
            {
                var begin = (int)((long)block.Index * rig.Torrent.PieceLength + block.Begin);
                await peer.Connection.SendPieceAsync(block.Index, block.Begin, rig.Built.Payload.AsMemory(begin, block.Length), CancellationToken.None);
            }
        }
        await rig.Swarm.Completion;
        var took = sim.Clock.Now - unchokedAt;

        var bursts = $"the bursts: {string.Join(", ", sizes)} blocks";
        Assert.Equal(blocks, received);
        Assert.True(mostOutstanding >= 64, $"at most {mostOutstanding} requests were out while the first 300 blocks arrived; {bursts}");
        Assert.True(took < TimeSpan.FromSeconds(7), $"12 MiB took {took} from the unchoke; {bursts}");
    }

    internal static async Task Dialling(SimRun sim)
    {
        // A host that accepts and closes at once: each dial fails its handshake. PeerBook: 2 s doubled per failure.
        var closer = sim.Network.AddHost("closer", LinkSpec.Fast);
        using var listener = ((TorrentLab.Network.INetwork)closer).Listen(new IPEndPoint(IPAddress.Any, 6881), 16);
        var accepted = new List<TimeSpan>();
        var accepting = AcceptAndCloseAsync();
        async Task AcceptAndCloseAsync()
        {
            try
            {
                while (true)
                {
                    if (await listener.AcceptAsync(CancellationToken.None) is not { } connection) continue;
                    accepted.Add(sim.Clock.Now);
                    await connection.Stream.DisposeAsync();
                }
            }
            catch (ObjectDisposedException) { } // stopped
        }
        await using var rig = Rig.Start(sim, downloading: true, o => o with { ExtraPeers = [new IPEndPoint(closer.Address, 6881)] });

        Assert.True(await sim.WaitUntil(() => accepted.Count == 3, TimeSpan.FromMinutes(1)), $"{accepted.Count} dials\n{rig.AllLines}");

        // Never sooner than the back-off; later only by the round trips of the failed handshake and the dialler's 10 ms
        // margin (a 100 ms bound: a dial a whole timer period late would be a bug).
        var slack = TimeSpan.FromMilliseconds(100);
        var firstGap = accepted[1] - accepted[0];
        var secondGap = accepted[2] - accepted[1];
        Assert.InRange(firstGap, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4) + slack);
        Assert.InRange(secondGap, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(8) + slack);
        listener.Dispose();
        await accepting;
    }
}
