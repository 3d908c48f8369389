using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary><c>Swarm/TorrentSwarm.Timer.cs</c>'s idle timeout on virtual time: a swarm whose session runs on a manual
/// clock, and a peer the test plays by hand over loopback, shown to be dropped once its time has passed and not a tick
/// before. The swarm's other timers (snubbing, request timeout, stall, choking rounds, the dialler's back-off) are
/// tested on the simulated network, where nothing races the clock: <see cref="TorrentSwarmTimerSimulatedTests"/>.</summary>
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

        public static Rig Start(bool downloading)
        {
            var ticks = new SwarmTicks();
            var built = TestTorrents.SingleFile(length: 64 * 16 * 1024, pieceLength: 16 * 1024, announce: null, seed: 71);
            var session = Session.Start(new SessionSettings
            {
                ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
                Encryption = EncryptionPolicy.Off, // one connection per dial: no plaintext redial after a refused MSE handshake
                Time = ticks.Clock,
            });
            var log = new ConcurrentQueue<string>();
            var options = new DownloadOptions { OutputDirectory = ".", Log = log.Enqueue };
            var have = downloading ? new Bitfield(built.Torrent.PieceCount) : Bitfield.Full(built.Torrent.PieceCount);
            var swarm = new TorrentSwarm(session, built.Torrent, options, new FakePieceStorage { ReadsZeros = true }, have, downloading)
            {
                Progress = { ReportTo = ticks },
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

    /// <summary>A peer played by the test: it reads (and drops) every message the swarm sends it.</summary>
    private sealed class HandPeer : IAsyncDisposable
    {
        private readonly Task _reading;

        public HandPeer(PeerConnection connection)
        {
            Connection = connection;
            _reading = ReadAsync();
        }

        public PeerConnection Connection { get; }

        private async Task ReadAsync()
        {
            try
            {
                while (true) await Connection.ReceiveAsync(Ct);
            }
            catch (Exception e) when (e is WireException or OperationCanceledException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            await _reading;
        }
    }

    [Theory]
    [InlineData(true)]  // a seed we download from: it has every piece and keeps us choked, silent (a super-seed's wait)
    [InlineData(false)] // a leecher we seed: interested, silent (it asks for nothing; unchoked, as nobody else wants the slot)
    public async Task IdleTimeout_AChokedSilentPeer_IsKeptPastBep3sTwoMinutes_AndDroppedAtTheSessionsLimit_NotBefore(bool downloading)
    {
        // BEP 3: "Keepalives are generally sent once every two minutes"; libtorrent sends one after 60 s of silence.
        var limit = new SessionSettings().IdleTimeout;
        Assert.True(limit >= TimeSpan.FromMinutes(2.5), $"the default idle timeout {limit} leaves no margin over BEP 3's two minutes");
        await using var rig = Rig.Start(downloading);
        await using var peer = await rig.ConnectAsync();
        if (downloading) await peer.Connection.SendBitfieldAsync(Bitfield.Full(rig.Torrent.PieceCount), Ct);
        else await peer.Connection.SendInterestedAsync(Ct);
        Assert.True(await Wait.UntilAsync(() => rig.Swarm.PeersSnapshot() is [{ Spoke: true }], Patience, Ct), "the peer was not heard");
        var ours = rig.Swarm.PeersSnapshot()[0];
        // Silence counts from the moment our reader waits for the peer again, after handling its message: moving the
        // clock before that would start the count late.
        Assert.True(await Wait.UntilAsync(
            () => (downloading ? ours.Connection.AmInterested : ours.Connection.PeerInterested) && ours.Connection.Timer.WaitingForPeer, Patience, Ct),
            "the peer's message was not handled, or our reader never waited for the peer again");

        await rig.Ticks.AdvanceAsync(limit - Second); // a second short of the limit: well past two minutes of silence

        Assert.Equal([ours], rig.Swarm.PeersSnapshot());
        Assert.True(downloading ? ours.Connection.PeerChoking && ours.Connection.AmInterested : ours.Connection.PeerInterested,
            "the peer is not the choking seed or the interested leecher this test is about");
        Assert.DoesNotContain(rig.Log, l => l.Contains("idle timeout", StringComparison.Ordinal));
        rig.Ticks.Clock.Advance(Second); // not tick by tick: a seeder left with no peer stops its timer, and reports no tick
        // The peer leaves the list before its ending is logged (TorrentSwarm.OnPeerEnded): wait for both.
        var ending = $"disconnected (no message for {limit.TotalSeconds:0} s (idle timeout))";
        Assert.True(await Wait.UntilAsync(() => rig.Swarm.PeersSnapshot().Length == 0 && rig.Log.Any(l => l.EndsWith(ending, StringComparison.Ordinal)), Patience, Ct),
            $"the silent peer was kept past the limit, or left for another reason; timers due in {string.Join(", ", rig.Ticks.Clock.PendingTimers)}; {string.Join(" | ", rig.Log)}");
    }
}
