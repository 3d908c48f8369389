using System.Net;
using System.Net.Sockets;
using TorrentLab.Extensions;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Wire;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Lab;

public class SyntheticPeerTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(length: 100_000, pieceLength: 32 * 1024); // 4 pieces

    private static SyntheticPeerOptions Options(SyntheticBehaviour behaviour) => SyntheticPeerOptions.ForTorrent(Built.Torrent, Built.Payload, behaviour);

    private static Task<PeerConnection> ConnectAsync(SyntheticPeer peer, TimeSpan? idle = null) =>
        PeerConnection.ConnectAsync(peer.EndPoint, Built.Torrent.InfoHash, PeerId.CreateOurs(),
            TestDownloader.Quick with { PieceCount = Built.Torrent.PieceCount, IdleTimeout = idle ?? TimeSpan.FromSeconds(10) }, Ct);

    [Fact]
    public async Task Start_ListensOnLoopbackAndCountsConnections()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal));
        await using var first = await ConnectAsync(peer);
        await using var second = await ConnectAsync(peer);

        Assert.Equal(IPAddress.Loopback, peer.EndPoint.Address);
        Assert.NotEqual(0, peer.EndPoint.Port);
        Assert.Equal(2, peer.ConnectionsAccepted);
    }

    [Fact]
    public async Task MaxConnections_Reached_StopsListening()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal) with { MaxConnections = 1 });
        await using var first = await ConnectAsync(peer);
        await WaitForLogAsync(peer, "no longer listening");

        await Assert.ThrowsAsync<WireException>(() => ConnectAsync(peer));
        Assert.Equal(1, peer.ConnectionsAccepted);
    }

    [Fact]
    public async Task Dispose_ClosesOpenConnections()
    {
        var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal));
        await using var connection = await ConnectAsync(peer);
        await connection.ReceiveAsync(Ct);

        await peer.DisposeAsync();

        var e = await Assert.ThrowsAsync<WireException>(async () => await connection.ReceiveAsync(Ct));
        Assert.Contains("closed the connection", e.Message);
    }

    [Fact]
    public async Task Slow_StillServesEveryBlockCorrectly()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Slow) with { SlowDelay = TimeSpan.FromMilliseconds(2) });
        await using var connection = await ConnectAsync(peer);

        var payload = await TestDownloader.DownloadAsync(connection, Built.Torrent, ct: Ct);

        Assert.Empty(TestDownloader.BadPieces(Built.Torrent, payload));
        Assert.Equal(7, peer.BlocksSent);   // 2 + 2 + 2 + 1 blocks of 16 KiB
    }

    [Fact]
    public async Task ChokesMidPiece_ChokesThenUnchokes_AndTheDownloadStillCompletes()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.ChokesMidPiece) with { ChokeDuration = TimeSpan.FromMilliseconds(50) });
        var kinds = new List<string>();
        var options = TestDownloader.Quick with { PieceCount = Built.Torrent.PieceCount, Trace = e => { if (e.Direction == WireDirection.Received) lock (kinds) kinds.Add(e.Name); } };
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, Built.Torrent.InfoHash, PeerId.CreateOurs(), options, Ct);

        var payload = await TestDownloader.DownloadAsync(connection, Built.Torrent, ct: Ct);

        Assert.Empty(TestDownloader.BadPieces(Built.Torrent, payload));
        Assert.Equal(["unchoke", "choke", "unchoke"], kinds.Where(k => k.EndsWith("choke", StringComparison.Ordinal)));
        Assert.Contains(peer.Log, l => l.Contains("choked mid-piece after block index=0 begin=0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChokesBeforeHave_TheLastBlockBeforeTheHeldBackPiece_BringsChokeThenHaveThenTheBlock()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.ChokesBeforeHave) with { HeldBackPiece = 2, ChokeDuration = TimeSpan.FromDays(1) });
        await using var connection = await ConnectAsync(peer);
        await UnchokedAsync(connection);
        var bitfield = connection.PeerPieces!.SetIndexes().ToArray();

        await connection.SendRequestAsync(1, 0, 16 * 1024, Ct);
        var first = await NextAsync(connection);
        await connection.SendRequestAsync(1, 16 * 1024, 16 * 1024, Ct);   // piece 1's last block sets the trap
        var (choke, have, block) = (await NextAsync(connection), await NextAsync(connection), await NextAsync(connection));

        Assert.Equal([0, 1, 3], bitfield);
        Assert.Equal((MessageKind.Piece, 1, 0), (first.Kind, first.Index, first.Begin));
        Assert.Equal(MessageKind.Choke, choke.Kind);
        Assert.Equal((MessageKind.Have, 2), (have.Kind, have.Index));
        Assert.Equal((MessageKind.Piece, 1, 16 * 1024), (block.Kind, block.Index, block.Begin));
        Assert.Contains(peer.Log, l => l.Contains("choked, then sent have index=2 (announced only after the choke)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChokesBeforeHave_ARequestForTheHeldBackPieceBeforeTheUnchoke_IsLoggedAsTheChokeIgnored()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.ChokesBeforeHave) with { HeldBackPiece = 2, ChokeDuration = TimeSpan.FromDays(1) });
        await using var connection = await ConnectAsync(peer);
        await UnchokedAsync(connection);
        await connection.SendRequestAsync(1, 16 * 1024, 16 * 1024, Ct);
        for (var i = 0; i < 3; i++) await NextAsync(connection);   // choke, have 2, the block

        await connection.SendRequestAsync(2, 0, 16 * 1024, Ct);   // what a client that ignores the choke sends

        Assert.True(await Wait.UntilAsync(() => peer.Log.Any(l => l.Contains(PeerLog.ChokeIgnored, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), Ct), string.Join("\n", peer.Log));
        Assert.Contains(peer.Log, l => l.Contains("dropped request index=2 begin=0 len=16384 " + PeerLog.ChokeIgnored, StringComparison.Ordinal));
        Assert.True(PeerLog.IsFatal(peer.Log.First(l => l.Contains(PeerLog.ChokeIgnored, StringComparison.Ordinal))));
        Assert.Equal(1, peer.BlocksSent);
    }

    [Fact]
    public async Task ChokesBeforeHave_AfterItsUnchoke_ServesTheHeldBackPieceAndLogsNoMistake()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.ChokesBeforeHave) with { HeldBackPiece = 2, ChokeDuration = TimeSpan.FromMilliseconds(50) });
        await using var connection = await ConnectAsync(peer);
        await UnchokedAsync(connection);
        await connection.SendRequestAsync(1, 16 * 1024, 16 * 1024, Ct);
        for (var i = 0; i < 3; i++) await NextAsync(connection);   // choke, have 2, the block
        var unchoke = await NextAsync(connection);

        var payload = await TestDownloader.DownloadAsync(connection, Built.Torrent, pieces: [2], ct: Ct);

        Assert.Equal(MessageKind.Unchoke, unchoke.Kind);
        Assert.Empty(TestDownloader.BadPieces(Built.Torrent, payload, [2]));
        Assert.DoesNotContain(peer.Log, l => l.Contains(PeerLog.ChokeIgnored, StringComparison.Ordinal) || l.Contains(PeerLog.NotYet, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChokesBeforeHave_ARequestForTheHeldBackPieceBeforeItsHave_IsAPieceNotAnnounced()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.ChokesBeforeHave) with { HeldBackPiece = 2, ChokeDuration = TimeSpan.FromDays(1) });
        await using var connection = await ConnectAsync(peer);
        await UnchokedAsync(connection);

        await connection.SendRequestAsync(2, 0, 16 * 1024, Ct);

        await Assert.ThrowsAsync<WireException>(async () => await NextAsync(connection));
        Assert.Contains(peer.Log, l => l.Contains("cannot serve request index=2 begin=0 len=16384 " + PeerLog.NotYet, StringComparison.Ordinal));
        Assert.DoesNotContain(peer.Log, l => l.Contains(PeerLog.ChokeIgnored, StringComparison.Ordinal));
    }

    // Reads the bitfield (and BEP 6 messages), says interested and reads up to the unchoke.
    private static async Task UnchokedAsync(PeerConnection connection)
    {
        await connection.SendInterestedAsync(Ct);
        while ((await connection.ReceiveAsync(Ct)).Kind != MessageKind.Unchoke) { }
    }

    // The next message that is not a BEP 6 allowed fast.
    private static async Task<PeerMessage> NextAsync(PeerConnection connection)
    {
        while (true)
        {
            var message = await connection.ReceiveAsync(Ct);
            if (message.Kind != MessageKind.AllowedFast) return message;
        }
    }

    [Fact]
    public async Task DisconnectsAfterBlocks_HangsUpAfterN()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.DisconnectsAfterBlocks) with { DisconnectAfterBlocks = 3 });
        await using var connection = await ConnectAsync(peer);

        var e = await Assert.ThrowsAsync<WireException>(() => TestDownloader.DownloadAsync(connection, Built.Torrent, ct: Ct));

        Assert.Contains("the peer closed the connection", e.Message);
        Assert.Equal(3, peer.BlocksSent);
        Assert.Contains(peer.Log, l => l.EndsWith("disconnecting after 3 blocks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LiesInBitfield_Close_ClaimsEveryPieceButHangsUpOnAMissingOne()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.LiesInBitfield));   // odd pieces missing
        await using var connection = await ConnectAsync(peer);

        var good = await TestDownloader.DownloadAsync(connection, Built.Torrent, pieces: [0, 2], ct: Ct);
        await Assert.ThrowsAsync<WireException>(() => TestDownloader.DownloadAsync(connection, Built.Torrent, pieces: [1], ct: Ct));

        Assert.True(connection.PeerPieces!.IsComplete);
        Assert.Empty(TestDownloader.BadPieces(Built.Torrent, good, [0, 2]));
        Assert.Contains(peer.Log, l => l.Contains("cannot serve request index=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LiesInBitfield_Ignore_NeverAnswersTheMissingPiece()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.LiesInBitfield) with { LieReaction = LieReaction.Ignore });
        // Long enough that a loaded machine still unchokes and takes the request before the client gives up (at 300 ms
        // it once gave up first in CI, so the peer never saw the request it is to ignore).
        await using var connection = await ConnectAsync(peer, idle: TimeSpan.FromSeconds(3));

        var download = TestDownloader.DownloadAsync(connection, Built.Torrent, pieces: [1], ct: Ct);
        Assert.True(await Wait.UntilAsync(
            () => peer.Log.Any(l => l.Contains("ignored request index=1 begin=0", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), Ct),
            string.Join("\n", peer.Log));
        var e = await Assert.ThrowsAsync<WireException>(() => download);

        Assert.Contains("idle timeout", e.Message);
    }

    [Fact]
    public async Task HasPieces_AnnouncesExactlyThosePieces()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal) with { HasPieces = new HashSet<int> { 1, 3 } });
        await using var connection = await ConnectAsync(peer);

        await connection.ReceiveAsync(Ct);

        Assert.Equal([1, 3], connection.PeerPieces!.SetIndexes());
    }

    [Fact]
    public async Task Request_LongerThan16KiB_IsRefusedAndTheConnectionClosed()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal));
        await using var connection = await ConnectAsync(peer);
        await connection.ReceiveAsync(Ct);
        await connection.SendInterestedAsync(Ct);
        await connection.ReceiveAsync(Ct);   // unchoke

        await connection.SendRequestAsync(0, 0, 32 * 1024, Ct);

        await Assert.ThrowsAsync<WireException>(async () => await connection.ReceiveAsync(Ct));
        Assert.Contains(peer.Log, l => l.Contains("refused request index=0 begin=0 len=32768 (more than 16384 bytes)", StringComparison.Ordinal));
        Assert.Equal(0, peer.BytesUploaded);
    }

    [Fact]
    public async Task WrongInfoHash_LogsTheHashItAnsweredWith()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.WrongInfoHash));

        await Assert.ThrowsAsync<WireException>(() => ConnectAsync(peer));
        await WaitForLogAsync(peer, "the downloader hung up");

        Assert.Contains(peer.Log, l => l.Contains("answered the handshake with info hash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServeMetadata_HandshakeWithoutTheExtensionBit_IsLoggedAndGetsNoExtensionHandshake()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal) with { ServeMetadata = true });
        await using var connection = await ConnectAsync(peer);   // AdvertiseExtensions is off

        await WaitForLogAsync(peer, PeerLog.NoExtensionBit);

        Assert.DoesNotContain(peer.Log, l => l.Contains("sent extension handshake", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServeMetadata_MessageUnderAnIdItNeverAssigned_IsLoggedWithItsOwnId()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal) with { ServeMetadata = true, MetadataExtensionId = 42 });
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, Built.Torrent.InfoHash, PeerId.CreateOurs(),
            TestDownloader.Quick with { PieceCount = Built.Torrent.PieceCount, AdvertiseExtensions = true }, Ct);
        var ours = new ExtensionHandshake { Messages = new Dictionary<string, byte> { [ExtensionRegistry.UtMetadata.Name] = 1 } };
        await connection.SendAsync(PeerMessage.Extended(ExtensionIds.Handshake, ours.Encode()), Ct);

        // The classic mistake: a request sent with OUR id (1) instead of the peer's (42).
        await connection.SendAsync(PeerMessage.Extended(1, MetadataMessage.Request(0).Encode()), Ct);

        await WaitForLogAsync(peer, "received extended message with id 1, " + PeerLog.UnassignedId + " (we receive ut_metadata on 42)");
        Assert.Contains(peer.Log, l => l.Contains(PeerLog.ReceivedExtensionHandshake + " m={ut_metadata: 1}", StringComparison.Ordinal));
        Assert.Equal(1, MagnetEvidence.OwnMetadataId(peer.Log));
    }

    [Fact]
    public async Task LatePiece_LeftOutOfTheBitfieldAndRefused_UntilAcquiredThenHaveAndServed()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal) with { LatePiece = 2 });
        await using var waiting = await ConnectAsync(peer);
        await waiting.ReceiveAsync(Ct);   // bitfield
        await using var refused = await ConnectAsync(peer);
        await refused.ReceiveAsync(Ct);
        await refused.SendInterestedAsync(Ct);
        await refused.ReceiveAsync(Ct);   // unchoke

        await refused.SendRequestAsync(2, 0, 16 * 1024, Ct);
        await Assert.ThrowsAsync<WireException>(async () => await refused.ReceiveAsync(Ct));
        peer.AcquireLate();
        var have = await waiting.ReceiveAsync(Ct);
        var payload = await TestDownloader.DownloadAsync(waiting, Built.Torrent, pieces: [2], ct: Ct);

        Assert.Equal([0, 1, 3], refused.PeerPieces!.SetIndexes());
        Assert.Contains(peer.Log, l => l.Contains("cannot serve request index=2 begin=0 len=16384 " + PeerLog.NotYet, StringComparison.Ordinal));
        Assert.Equal((MessageKind.Have, 2), (have.Kind, have.Index));
        Assert.Empty(TestDownloader.BadPieces(Built.Torrent, payload, [2]));
        Assert.True(peer.HasAcquiredLate);
    }

    [Fact]
    public async Task LateMetadata_RejectsUntilAcquiredThenServes()
    {
        await using var peer = SyntheticPeer.Start(Options(SyntheticBehaviour.Normal) with { ServeMetadata = true, MetadataExtensionId = 42, LateMetadata = true });
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, Built.Torrent.InfoHash, PeerId.CreateOurs(),
            TestDownloader.Quick with { PieceCount = Built.Torrent.PieceCount, AdvertiseExtensions = true }, Ct);
        var ours = new ExtensionHandshake { Messages = new Dictionary<string, byte> { [ExtensionRegistry.UtMetadata.Name] = 1 } };
        await connection.SendAsync(PeerMessage.Extended(ExtensionIds.Handshake, ours.Encode()), Ct);

        await connection.SendAsync(PeerMessage.Extended(42, MetadataMessage.Request(0).Encode()), Ct);
        await WaitForLogAsync(peer, "with ut_metadata reject piece=0 " + PeerLog.NoMetadataYet);
        peer.AcquireLate();
        await connection.SendAsync(PeerMessage.Extended(42, MetadataMessage.Request(0).Encode()), Ct);

        await WaitForLogAsync(peer, "with ut_metadata data piece=0");
        Assert.Contains(peer.Log, l => l.Contains(PeerLog.Acquired + " the metadata", StringComparison.Ordinal));
    }

    /// <summary>Waits (at most 5 s) for a log line the peer writes from its own task.</summary>
    private static async Task WaitForLogAsync(SyntheticPeer peer, string text)
    {
        await Wait.UntilAsync(() => peer.Log.Any(l => l.Contains(text, StringComparison.Ordinal)), TimeSpan.FromSeconds(30), Ct);
        Assert.Contains(peer.Log, l => l.Contains(text, StringComparison.Ordinal));
    }
}
