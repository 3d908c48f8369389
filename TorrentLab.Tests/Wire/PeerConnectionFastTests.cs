using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>BEP 6 on a connection: the reserved bit, have all/none in place of the bitfield, and the MUST-close rules.</summary>
public class PeerConnectionFastTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly PeerConnectionOptions Fast = TestDownloader.Quick with { PieceCount = 12, AdvertiseFast = true };
    private static readonly PeerConnectionOptions Plain = TestDownloader.Quick with { PieceCount = 12 };

    [Fact]
    public async Task Handshake_WithAdvertiseFast_SetsReservedByte7Bit0x04()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Fast, Plain);
        await using var _ = client;
        await using var __ = server;

        Assert.Equal("0000000000000004", Convert.ToHexStringLower(server.RemoteHandshake.ReservedBytes));
        Assert.True(server.RemoteHandshake.SupportsFast);
        Assert.False(server.FastAgreed);   // the server did not set it: both must
        Assert.False(client.FastAgreed);
    }

    [Theory]
    [InlineData(true, MessageKind.HaveAll)]
    [InlineData(false, MessageKind.HaveNone)]
    public async Task SendBitfieldAsync_FastAgreed_SendsHaveAllOrHaveNone(bool full, MessageKind expected)
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Fast, Fast);
        await using var _ = client;
        await using var __ = server;

        await server.SendBitfieldAsync(full ? Bitfield.Full(12) : new Bitfield(12), Ct);
        var message = await client.ReceiveAsync(Ct);

        Assert.Equal(expected, message.Kind);
        Assert.Equal(full ? 12 : 0, client.PeerPieces!.Count);
    }

    [Fact]
    public async Task SendBitfieldAsync_FastNotAgreed_SendsABitfield()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Plain, Fast);
        await using var _ = client;
        await using var __ = server;

        await server.SendBitfieldAsync(Bitfield.Full(12), Ct);

        Assert.Equal(MessageKind.Bitfield, (await client.ReceiveAsync(Ct)).Kind);
    }

    [Theory]
    [InlineData("00000001 0e", "have all")]
    [InlineData("00000001 0f", "have none")]
    [InlineData("0000000d 10 00000000 00000000 00004000", "reject")]
    [InlineData("00000005 11 00000003", "allowed fast")]
    [InlineData("00000005 0d 00000003", "suggest")]
    public async Task ReceiveAsync_Bep6MessageWithoutTheBit_ClosesTheConnection(string hex, string name)
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Plain, Fast);
        await using var _ = client;
        await using var __ = server;

        await server.SendRawAsync(WireSamples.Hex(hex), Ct);
        var e = await Assert.ThrowsAsync<WireException>(() => client.ReceiveAsync(Ct).AsTask());

        Assert.Contains($"{name} received, but the fast extension (BEP 6) was not agreed", e.Message);
        Assert.True(e.IsViolation);
    }

    [Fact]
    public async Task ReceiveAsync_HaveAllAfterAHave_IsTakenAsHavesOfEveryPiece()
    {
        // aria2 sends a later have all in place of many haves once it has every piece.
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Fast, Fast);
        await using var _ = client;
        await using var __ = server;

        await server.SendHaveAsync(1, Ct);
        await server.SendAsync(PeerMessage.HaveAll, Ct);
        await client.ReceiveAsync(Ct);
        var second = await client.ReceiveAsync(Ct);

        Assert.Equal(MessageKind.HaveAll, second.Kind);
        Assert.True(client.PeerPieces!.IsComplete);
    }

    [Fact]
    public async Task ReceiveAsync_HaveNoneAfterAHave_IsAViolation()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Fast, Fast);
        await using var _ = client;
        await using var __ = server;

        await server.SendHaveAsync(1, Ct);
        await server.SendAsync(PeerMessage.HaveNone, Ct);
        await client.ReceiveAsync(Ct);
        var e = await Assert.ThrowsAsync<WireException>(() => client.ReceiveAsync(Ct).AsTask());

        Assert.Contains("have none received after other messages takes back pieces", e.Message);
        Assert.True(e.IsViolation);
    }

    [Fact]
    public async Task ReceiveAsync_AllowedFastRejectAndSuggest_AreRecordedAndReturned()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Fast, Fast);
        await using var _ = client;
        await using var __ = server;

        await server.SendAsync(new[] { PeerMessage.HaveNone, PeerMessage.AllowedFast(3), PeerMessage.AllowedFast(7),
            PeerMessage.Suggest(3), PeerMessage.Reject(3, 0, 16384) }, Ct);
        var kinds = new List<MessageKind>();
        for (var i = 0; i < 5; i++) kinds.Add((await client.ReceiveAsync(Ct)).Kind);

        Assert.Equal([MessageKind.HaveNone, MessageKind.AllowedFast, MessageKind.AllowedFast, MessageKind.Suggest, MessageKind.Reject], kinds);
        Assert.Equal([3, 7], client.AllowedFastFromPeer.Order());
        Assert.Equal(1, client.SuggestsReceived);
        Assert.Equal(1, client.RejectsReceived);
    }

    [Fact]
    public async Task SendAsync_Bep6MessageWithoutAgreement_IsCallerMisuse()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Plain, Fast);
        await using var _ = client;
        await using var __ = server;

        await Assert.ThrowsAsync<InvalidOperationException>(() => server.SendAsync(PeerMessage.HaveAll, Ct).AsTask());
    }
}
