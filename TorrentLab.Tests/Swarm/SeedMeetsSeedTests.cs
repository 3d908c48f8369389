using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>What a swarm does when the peer at the other end turns out to have every piece: our BEP 6 allowed fast set
/// goes only to a peer that lacks one, and a seed that dialled us while we seed is never dialled back. A peer the test
/// plays over a real loopback socket; the swarm runs on a manual clock that never moves, so no timer acts.</summary>
public class SeedMeetsSeedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A peer the test plays: every message the swarm sends it, in order.</summary>
    private sealed class HandPeer : IAsyncDisposable
    {
        private readonly ConcurrentQueue<(MessageKind Kind, int Index)> _received = new();
        private readonly Task _reading;

        private HandPeer(PeerConnection connection)
        {
            Connection = connection;
            _reading = ReadAsync();
        }

        public PeerConnection Connection { get; }

        public IReadOnlyList<(MessageKind Kind, int Index)> Received => [.. _received];

        /// <summary>True once the swarm closed the connection.</summary>
        public bool Closed => _reading.IsCompleted;

        public static async Task<HandPeer> DialAsync(Session session, TorrentLab.Metainfo.Torrent torrent) =>
            new(await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, session.Port), torrent.InfoHash, PeerId.CreateOurs(),
                new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseFast = true, AdvertiseExtensions = true }, Ct));

        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    var message = await Connection.ReceiveAsync(Ct);
                    _received.Enqueue((message.Kind, message.Index));
                }
            }
            catch (Exception e) when (e is WireException or OperationCanceledException or IOException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            await _reading;
        }
    }

    /// <summary>A swarm on a session of its own, and the peer the test plays, connected to it.</summary>
    private sealed record Rig(Session Session, TorrentSwarm Swarm, TestTorrents.Built Built, HandPeer Peer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Peer.DisposeAsync();
            await Swarm.DisposeAsync();
            await Session.DisposeAsync();
        }
    }

    private static async Task<Rig> StartAsync(bool seeding)
    {
        var built = TestTorrents.SingleFile(length: 64 * 16 * 1024, pieceLength: 16 * 1024, announce: null, seed: 84);
        var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
            Encryption = EncryptionPolicy.Off, Time = new ManualClock(),
        });
        // Downloading, it has every piece but the last: enough to serve most of an allowed fast set, and a reason to
        // stay connected to a seed (it is interested).
        var have = new Bitfield(built.Torrent.PieceCount);
        for (var index = 0; index < built.Torrent.PieceCount - (seeding ? 0 : 1); index++) have.Set(index);
        var swarm = new TorrentSwarm(session, built.Torrent, new DownloadOptions { OutputDirectory = "." }, new FakePieceStorage { ReadsZeros = true },
            have, downloading: !seeding);
        swarm.Start();
        return new Rig(session, swarm, built, await HandPeer.DialAsync(session, built.Torrent));
    }

    [Fact]
    public async Task AllowedFast_IsNotSentToAPeerThatSaysItHasEveryPiece()
    {
        await using var rig = await StartAsync(seeding: false);
        var peer = rig.Peer;

        await peer.Connection.SendAsync(PeerMessage.HaveAll, Ct);

        // The swarm lacks a piece the peer has: it says interested, after whatever it sends on connecting.
        Assert.True(await Wait.UntilAsync(() => peer.Received.Any(m => m.Kind == MessageKind.Interested), Patience, Ct),
            $"the swarm never said interested: {string.Join(", ", peer.Received.Select(m => m.Kind))}");
        Assert.DoesNotContain(peer.Received, m => m.Kind == MessageKind.AllowedFast);
    }

    [Fact]
    public async Task AllowedFast_GoesToAPeerThatSaysItHasNothing_ForPiecesWeHave()
    {
        await using var rig = await StartAsync(seeding: false);
        var (peer, built) = (rig.Peer, rig.Built);

        await peer.Connection.SendAsync(PeerMessage.HaveNone, Ct);

        var expected = AllowedFastSet.Generate(IPAddress.Loopback, built.Torrent.InfoHash, built.Torrent.PieceCount)
            .Where(i => i != built.Torrent.PieceCount - 1).Distinct().Order().ToList();
        Assert.NotEmpty(expected);
        Assert.True(await Wait.UntilAsync(() => peer.Received.Count(m => m.Kind == MessageKind.AllowedFast) == expected.Count, Patience, Ct),
            $"allowed fast: {string.Join(", ", peer.Received.Where(m => m.Kind == MessageKind.AllowedFast).Select(m => m.Index))}");
        Assert.Equal(expected, peer.Received.Where(m => m.Kind == MessageKind.AllowedFast).Select(m => m.Index).Order());
    }

    [Fact]
    public async Task ASeedThatDialledUsWhileWeSeed_IsDroppedAndItsListenAddressIsNeverDialled()
    {
        await using var rig = await StartAsync(seeding: true);
        var (peer, swarm) = (rig.Peer, rig.Swarm);
        var listening = new IPEndPoint(IPAddress.Loopback, 1); // never dialled: the swarm only retires it

        // BEP 10's handshake names the port it listens on; then BEP 6's have all.
        var extensions = new ExtensionHandshake { ListenPort = listening.Port };
        await peer.Connection.SendAsync(PeerMessage.Extended(0, extensions.Encode()), Ct);
        await peer.Connection.SendAsync(PeerMessage.HaveAll, Ct);

        Assert.True(await Wait.UntilAsync(() => swarm.Book.RetiredSeeds().Contains(listening), Patience, Ct),
            $"retired: {string.Join(", ", swarm.Book.RetiredSeeds())}");
        Assert.True(await Wait.UntilAsync(() => peer.Closed, Patience, Ct), "the swarm kept a connection between two seeds");
        Assert.Equal(0, swarm.Book.Add([listening], PeerSource.Tracker)); // a tracker that names it later adds nothing
        Assert.Null(swarm.Book.TakeNext(DateTimeOffset.MaxValue));
    }
}
