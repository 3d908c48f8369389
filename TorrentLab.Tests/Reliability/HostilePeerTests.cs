using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Reference;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>Hostile peers against the downloader: each scenario puts one bad peer first in line and an honest seeder
/// second. The download must complete with identical data, the heap must stay bounded, and the bad peer must be
/// dropped (the downloader hangs up on it, or records it as a bad peer).</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class HostilePeerTests
{
    private const long HeapBound = 128L << 20; // 128 MiB: the payload is 768 KiB; a flood that is buffered would blow past it

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built Torrent() => TestTorrents.SingleFile(length: 48 * 16384, pieceLength: 16384, name: "hostile.bin", seed: 7);

    private static DownloadOptions Options(string output, params IPEndPoint[] peers) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            HandshakeTimeout = TimeSpan.FromSeconds(1.5),
            IdleTimeout = TimeSpan.FromSeconds(1.5),
        },
        OutputDirectory = output,
        MaxPeers = 1,
        Trackers = [],           // the peers are given: no tracker
        ExtraPeers = peers,
    };

    /// <summary>A bad peer under test: where it listens, how to stop it, and whether the downloader hung up on it.</summary>
    private sealed record BadPeer(IPEndPoint EndPoint, IAsyncDisposable Handle, Func<bool> Dropped);

    private static BadPeer Hostile(TestTorrents.Built built, Func<HostileSession, Task> script, bool handshake = true, bool fast = false)
    {
        var peer = HostilePeer.Start(built, script, handshake, fast: fast);
        return new BadPeer(peer.EndPoint, peer, () => peer.DroppedByDownloader);
    }

    private static BadPeer Synthetic(TestTorrents.Built built, Func<SyntheticPeerOptions, SyntheticPeerOptions> tweak)
    {
        var peer = SyntheticPeer.Start(tweak(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload)));
        // A synthetic peer logs how each connection ended; any end while the download went on is a drop by one side.
        return new BadPeer(peer.EndPoint, peer, () => peer.Log.Any(l => l.Contains("ended") || l.Contains("lost") || l.Contains("stopped") || l.Contains("closing")));
    }

    /// <summary>The scenarios, by name: each starts its bad peer.</summary>
    private static BadPeer StartBadPeer(string scenario, TestTorrents.Built built) => scenario switch
    {
        "handshake flood" => Hostile(built, async s =>
        {
            var handshake = new Handshake(built.Torrent.InfoHash, s.PeerId).ToBytes();
            for (var i = 0; i < 2_000; i++) await s.SendAsync(handshake); // after the handshake, more handshakes
        }),
        "lies about pieces, closes" => Synthetic(built, o => o with { Behaviour = SyntheticBehaviour.LiesInBitfield, LieReaction = LieReaction.Close }),
        "lies about pieces, ignores" => Synthetic(built, o => o with { Behaviour = SyntheticBehaviour.LiesInBitfield, LieReaction = LieReaction.Ignore }),
        "wrong blocks (another piece's data)" => Hostile(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            while (true)
            {
                var m = await s.ReceiveAsync();
                if (m.Kind == MessageKind.Interested) await s.SendAsync(PeerMessage.Unchoke);
                if (m.Kind != MessageKind.Request) continue;
                var other = (m.Index + 1) % s.PieceCount;      // the right place, the bytes of the next piece
                await s.SendAsync(PeerMessage.Piece(m.Index, m.Begin, s.Block(other, m.Begin, Math.Min(m.Length, built.Torrent.GetPieceLength(other) - m.Begin))));
            }
        }),
        "corrupt block" => Synthetic(built, o => o with { Behaviour = SyntheticBehaviour.CorruptBlock, CorruptPieceIndex = 0 }),
        "unrequested blocks, endless" => Hostile(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            await s.SendAsync(PeerMessage.Unchoke);
            var random = new Random(3);
            var junk = new byte[16384];
            for (var i = 0; !s.Ct.IsCancellationRequested; i++) // until the downloader hangs up (or the test ends)
            {
                random.NextBytes(junk.AsSpan(0, 64));
                await s.SendAsync(PeerMessage.Piece(random.Next(s.PieceCount), 16384 * random.Next(1, 4) + 1, junk));
                if (i % 64 == 0) await Task.Delay(1, s.Ct);
            }
        }),
        "requests for pieces we lack, oversized requests" => Hostile(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount))); // claims everything, never unchokes
            await s.SendAsync(PeerMessage.Interested);
            var batch = new List<byte>();
            for (var i = 0; i < 10_000; i++)
            {
                var length = (i % 3) switch { 0 => 16384, 1 => 1 << 20, _ => int.MaxValue };
                batch.AddRange(MessageWriter.ToBytes(PeerMessage.Request(i % s.PieceCount, 0, length)));
            }
            await s.SendAsync(batch.ToArray());
        }),
        "oversized length prefix" => Synthetic(built, o => o with { Behaviour = SyntheticBehaviour.OversizedLength }),
        "have out of range" => Synthetic(built, o => o with { Behaviour = SyntheticBehaviour.HaveOutOfRange }),
        "messages dribbled one byte at a time" => Hostile(built, s =>
            s.ServeHonestlyAsync(bytes => s.DribbleAsync(bytes, TimeSpan.FromMilliseconds(2)))),
        "silent after connect (no handshake)" => Hostile(built, _ => Task.CompletedTask, handshake: false),
        "silent after the handshake" => Hostile(built, _ => Task.CompletedTask),
        "bitfield then silence (never unchokes)" => Hostile(built, s => s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)))),
        "toggles choke/unchoke, never sends a block" => Hostile(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            var toggle = new List<byte>();
            for (var i = 0; i < 100; i++) toggle.AddRange([.. MessageWriter.ToBytes(PeerMessage.Unchoke), .. MessageWriter.ToBytes(PeerMessage.Choke)]);
            var batch = toggle.ToArray();
            while (!s.Ct.IsCancellationRequested) // until the downloader hangs up: the stall clock must not restart
            {
                await s.SendAsync(batch);
                await Task.Delay(10, s.Ct);
            }
        }),
        "rejects every request (BEP 6)" => Hostile(built, async s =>
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            while (true)
            {
                var m = await s.ReceiveAsync();
                if (m.Kind == MessageKind.Interested) await s.SendAsync(PeerMessage.Unchoke);
                if (m.Kind == MessageKind.Request) await s.SendAsync(PeerMessage.Reject(m.Index, m.Begin, m.Length));
            }
        }, fast: true),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "no such scenario"),
    };

    [Theory]
    [InlineData("handshake flood")]
    [InlineData("lies about pieces, closes")]
    [InlineData("lies about pieces, ignores")]
    [InlineData("wrong blocks (another piece's data)")]
    [InlineData("corrupt block")]
    [InlineData("unrequested blocks, endless")]
    [InlineData("requests for pieces we lack, oversized requests")]
    [InlineData("oversized length prefix")]
    [InlineData("have out of range")]
    [InlineData("messages dribbled one byte at a time")]
    [InlineData("silent after connect (no handshake)")]
    [InlineData("silent after the handshake")]
    [InlineData("bitfield then silence (never unchokes)")]
    [InlineData("toggles choke/unchoke, never sends a block")]
    [InlineData("rejects every request (BEP 6)")]
    public async Task BadPeerFirst_GoodPeerSecond_CompletesDropsTheBadPeerAndStaysBounded(string scenario)
    {
        var built = Torrent();
        var runs = ReliabilityMode.Count(1, 5);
        var survived = 0;
        var figures = "";
        for (var run = 0; run < runs; run++)
        {
            using var folder = new TempFolder("torrentlab-hostile");
            var bad = StartBadPeer(scenario, built);
            await using var good = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
            await using var watch = MemoryWatch.Start();
            var clock = Stopwatch.StartNew();
            DownloadResult result;
            try
            {
                // The time limit only guards against a hang; it is not a speed requirement.
                result = await ReferenceDownload.RunAsync(built.Torrent, Options(folder.Path, bad.EndPoint, good.EndPoint), null, Ct)
                    .WaitAsync(TimeSpan.FromSeconds(30), Ct);
                // The download may return while the bad peer's side is still seeing its connection close: wait (bounded)
                // for that event before judging.
                await Wait.UntilAsync(() => bad.Dropped() || result.BadPeers.Count > 0, TimeSpan.FromSeconds(30), Ct);
            }
            finally
            {
                await bad.Handle.DisposeAsync();
            }

            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(Path.Combine(folder.Path, "hostile.bin"))));
            // Liars really have half the pieces and may deliver them; the others must deliver nothing.
            if (!scenario.StartsWith("lies", StringComparison.Ordinal)) Assert.DoesNotContain(bad.EndPoint.ToString(), result.PeersUsed);
            // The choke toggler's finding is that it held the download forever; completing from the good peer (above, within
            // the time limit) is the proof. Its connection may still be closing when the download returns, so it is not
            // required to show as dropped yet.
            if (!scenario.StartsWith("toggles", StringComparison.Ordinal))
                Assert.True(bad.Dropped() || result.BadPeers.Count > 0, $"{scenario}: the bad peer was neither dropped nor recorded as bad");
            await watch.DisposeAsync(); // its last sample: a scenario shorter than the sampling interval has no other
            Assert.True(watch.PeakGrowth < HeapBound, $"{scenario}: heap grew by {watch.PeakGrowth} bytes");
            survived++;
            figures = $"{(result.BadPeers.Count > 0 ? "dropped as bad: " + result.BadPeers[0] : "dropped (stalled or closed)")}; " +
                      $"completed in {clock.Elapsed.TotalSeconds:0.0} s; {watch.Figures}";
        }
        ReliabilityReport.Add(new ReliabilityRow("hostile peer", scenario, runs, survived, "none", figures));
    }

    [Fact]
    public async Task OnlyPeerDribblesEveryByteSeparately_DownloadCompletesWithIdenticalData()
    {
        // Dribbling is slow but legal: with no other peer, every byte still arrives and the parser reassembles it.
        var built = TestTorrents.SingleFile(length: 20_000, pieceLength: 16384, name: "dribble.bin", seed: 9);
        using var folder = new TempFolder("torrentlab-hostile");
        await using var peer = HostilePeer.Start(built, s => s.ServeHonestlyAsync(bytes => s.DribbleAsync(bytes, TimeSpan.Zero)));
        await using var watch = MemoryWatch.Start();
        var clock = Stopwatch.StartNew();

        var result = await ReferenceDownload.RunAsync(built.Torrent, Options(folder.Path, peer.EndPoint).WithSession(s => s with { IdleTimeout = TimeSpan.FromSeconds(20) }), null, Ct)
            .WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await watch.DisposeAsync(); // stops the watch before the file is read back

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("dribble.bin")));
        Assert.Equal([peer.EndPoint.ToString()], result.PeersUsed);
        ReliabilityReport.Add(new ReliabilityRow("hostile peer", "only peer dribbles every byte (1-byte sends)", 1, 1, "none",
            $"{peer.BytesSent} one-byte sends in {clock.Elapsed.TotalSeconds:0.0} s; {watch.Figures}"));
    }

    [Fact]
    public async Task OnlyPeerSendsThousandsOfHavesThenServes_DownloadCompletesWithBoundedMemory()
    {
        var built = Torrent();
        using var folder = new TempFolder("torrentlab-hostile");
        var haves = ReliabilityMode.Count(20_000, 200_000);
        await using var peer = HostilePeer.Start(built, async s =>
        {
            // No bitfield (BEP 3: a peer with nothing may skip it), then the haves, many times over.
            var batch = new List<byte>(haves * 9);
            for (var i = 0; i < haves; i++) batch.AddRange(MessageWriter.ToBytes(PeerMessage.Have(i % s.PieceCount)));
            await s.SendAsync(batch.ToArray());
            await s.ServeHonestlyAsync(sendBitfield: false);
        });
        await using var watch = MemoryWatch.Start();

        var result = await ReferenceDownload.RunAsync(built.Torrent, Options(folder.Path, peer.EndPoint), null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(folder.Combine("hostile.bin"))));
        await watch.DisposeAsync(); // its last sample: a scenario shorter than the sampling interval has no other
        Assert.True(watch.PeakGrowth < HeapBound, $"heap grew by {watch.PeakGrowth} bytes");
        ReliabilityReport.Add(new ReliabilityRow("hostile peer", $"{haves} haves, then honest serving", 1, 1, "none", watch.Figures));
    }
}
