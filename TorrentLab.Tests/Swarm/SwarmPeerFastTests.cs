using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary><c>Swarm/SwarmPeer.Fast.cs</c>: what a choke does to our requests, with and without BEP 6, seen by a peer
/// the test plays over a real loopback socket. The swarm runs on a manual clock that never moves, so no timer (request
/// timeout, snubbing, choking rounds) acts: every request the peer sees comes from the swarm's answer to its messages.</summary>
public class SwarmPeerFastTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const int Block = 16 * 1024; // one block per piece: a request names a piece

    /// <summary>A peer the test plays: it records the requests it receives, in order.</summary>
    private sealed class HandPeer : IAsyncDisposable
    {
        private readonly ConcurrentQueue<BlockRequest> _requests = new();
        private readonly Task _reading;

        public HandPeer(PeerConnection connection)
        {
            Connection = connection;
            _reading = ReadAsync();
        }

        public PeerConnection Connection { get; }

        public IReadOnlyList<BlockRequest> Requests => [.. _requests];

        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    var message = await Connection.ReceiveAsync(Ct);
                    if (message.Kind == MessageKind.Request) _requests.Enqueue(new BlockRequest(message.Index, message.Begin, message.Length));
                }
            }
            catch (Exception e) when (e is WireException or OperationCanceledException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            await _reading;
        }
    }

    /// <summary>Runs the sequence BEP 6 changes: the peer says <c>have</c> for every piece and unchokes us; our requests
    /// arrive; it chokes us, and once we have read the choke, unchokes us again. Returns the requests sent before the
    /// choke, with the swarm and the peer for the rest of the test.</summary>
    private static async Task<(Session Session, TorrentSwarm Swarm, HandPeer Peer, IReadOnlyList<BlockRequest> BeforeChoke, TestTorrents.Built Built)>
        ChokeAndUnchokeAsync(bool fast)
    {
        var built = TestTorrents.SingleFile(length: 64 * Block, pieceLength: Block, announce: null, seed: 6);
        var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
            Encryption = EncryptionPolicy.Off, Time = new ManualClock(),
        });
        var swarm = new TorrentSwarm(session, built.Torrent, new DownloadOptions { OutputDirectory = "." }, new FakePieceStorage(),
            new Bitfield(built.Torrent.PieceCount), downloading: true);
        swarm.Start();
        var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, session.Port), built.Torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = built.Torrent.PieceCount, AdvertiseFast = fast }, Ct);
        Assert.Equal(fast, connection.FastAgreed);
        var peer = new HandPeer(connection);
        if (fast) await connection.SendAsync(PeerMessage.HaveNone, Ct); // BEP 6: one of have all, have none or bitfield first
        for (var index = 0; index < built.Torrent.PieceCount; index++) await connection.SendHaveAsync(index, Ct);
        await connection.SendUnchokeAsync(Ct);
        Assert.True(await Wait.UntilAsync(() => swarm.PeersSnapshot() is [var only] && peer.Requests.Count > 0
            && peer.Requests.Count == swarm.Pieces.RequestsInFlight(only), Patience, Ct), "the swarm's requests never all arrived");
        var beforeChoke = peer.Requests;
        var ours = swarm.PeersSnapshot()[0];

        await connection.SendAsync(PeerMessage.Choke, Ct);
        Assert.True(await Wait.UntilAsync(() => ours.Connection.PeerChoking, Patience, Ct), "the swarm never read the choke");
        await connection.SendUnchokeAsync(Ct);
        return (session, swarm, peer, beforeChoke, built);
    }

    /// <summary>The peer serves the requests it received from the <paramref name="first"/>th on, in order, until the
    /// download is complete.</summary>
    private static async Task ServeAsync(TorrentSwarm swarm, HandPeer peer, TestTorrents.Built built, int first)
    {
        for (var served = first; !swarm.Completion.IsCompleted; served++)
        {
            Assert.True(await Wait.UntilAsync(() => peer.Requests.Count > served || swarm.Completion.IsCompleted, Patience, Ct),
                $"the swarm stopped asking after {served} requests");
            if (swarm.Completion.IsCompleted) break;
            var request = peer.Requests[served];
            await peer.Connection.SendAsync(PeerMessage.Piece(request.Index, request.Begin, built.Payload.AsMemory(request.Index * Block, request.Length)), Ct);
        }
        await swarm.Completion.WaitAsync(Patience, Ct);
    }

    [Fact]
    public async Task Fast_AChokeThenUnchoke_KeepsOurRequestsOutstanding_NoBlockIsRequestedTwice()
    {
        var (session, swarm, peer, beforeChoke, built) = await ChokeAndUnchokeAsync(fast: true);
        await using var _ = session;
        await using var __ = swarm;
        await using var ___ = peer;

        // BEP 6: the choke rejected nothing, so the peer serves every request, those before the choke too.
        await ServeAsync(swarm, peer, built, first: 0);

        Assert.NotEmpty(beforeChoke);
        Assert.Equal(built.Torrent.PieceCount, peer.Requests.Count); // one request per block, none sent again
        Assert.Equal(peer.Requests.Count, peer.Requests.Distinct().Count());
    }

    [Fact]
    public async Task WithoutFast_AChokeThenUnchoke_DiscardsOurRequests_AndTheyAreRequestedAgain()
    {
        var (session, swarm, peer, beforeChoke, built) = await ChokeAndUnchokeAsync(fast: false);
        await using var _ = session;
        await using var __ = swarm;
        await using var ___ = peer;

        // BEP 3: the choke discarded the requests before it; the peer serves only those after its unchoke.
        await ServeAsync(swarm, peer, built, first: beforeChoke.Count);

        Assert.NotEmpty(beforeChoke);
        Assert.All(beforeChoke, r => Assert.Equal(2, peer.Requests.Count(x => x == r))); // asked again after the unchoke
        Assert.Equal(built.Torrent.PieceCount + beforeChoke.Count, peer.Requests.Count);
    }
}
