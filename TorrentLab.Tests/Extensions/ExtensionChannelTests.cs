using System.Net;
using TorrentLab.Extensions;
using TorrentLab.Tests.Wire;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Extensions;

public class ExtensionChannelTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly PeerConnectionOptions Extended = TestDownloader.Quick with { AdvertiseExtensions = true };

    /// <summary>A handshake from a peer that receives ut_metadata on 7 (not our 3).</summary>
    private static ExtensionHandshake Theirs(byte metadataId = 7) => new()
    {
        Messages = new Dictionary<string, byte> { ["ut_metadata"] = metadataId, ["x_unknown"] = 9 },
        Client = "other 1.0",
    };

    [Fact]
    public async Task SendAsync_UsesTheirIdAndRouteNamesByOurs()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Extended, Extended);
        await using var _ = client;
        await using var __ = server;
        var ours = new ExtensionChannel(client, ExtensionHandshake.Ours(client.RemoteEndPoint, null, null, pex: true));
        var peer = new ExtensionChannel(server, Theirs());

        Assert.True(await ours.SendHandshakeAsync(Ct));
        Assert.True(await peer.SendHandshakeAsync(Ct));
        var atPeer = await server.ReceiveAsync(Ct);
        Assert.Equal("handshake", peer.Route(atPeer));
        var atUs = await client.ReceiveAsync(Ct);
        Assert.Equal("handshake", ours.Route(atUs));

        await ours.SendAsync("ut_metadata", MetadataMessage.Request(0).Encode(), Ct);
        var request = await server.ReceiveAsync(Ct);
        Assert.Equal(7, request.ExtendedId);                    // sent with THEIR id
        await peer.SendAsync("ut_metadata", MetadataMessage.Reject(0).Encode(), Ct);
        var reject = await client.ReceiveAsync(Ct);
        Assert.Equal(ExtensionRegistry.UtMetadata.Id, reject.ExtendedId); // received with OUR id
        Assert.Equal("ut_metadata", ours.Route(reject));
        Assert.Equal(MetadataMessageType.Reject, MetadataMessage.Decode(reject.Payload).Type);
    }

    [Fact]
    public async Task SendHandshakeAsync_PeerWithoutTheBit_SendsNothing()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Extended, TestDownloader.Quick);
        await using var _ = client;
        await using var __ = server;
        var ours = new ExtensionChannel(client, ExtensionHandshake.Ours(client.RemoteEndPoint, null, null, pex: false));

        Assert.False(ours.Agreed);
        Assert.False(await ours.SendHandshakeAsync(Ct));
        await client.SendInterestedAsync(Ct);
        Assert.Equal(MessageKind.Interested, (await server.ReceiveAsync(Ct)).Kind);   // nothing came before it
    }

    [Fact]
    public async Task Route_UnknownIdIsIgnoredAndHandshakesAreAdditive()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Extended, Extended);
        await using var _ = client;
        await using var __ = server;
        var ours = new ExtensionChannel(client, ExtensionHandshake.Ours(client.RemoteEndPoint, null, null, pex: true));

        Assert.Null(ours.Route(PeerMessage.Extended(42, new byte[] { 1 })));
        Assert.Equal(1, ours.Ignored);
        ours.Route(PeerMessage.Extended(0, Theirs().Encode()));
        Assert.True(ours.TryGetTheirId("ut_metadata", out var id) && id == 7);
        ours.Route(PeerMessage.Extended(0, "d1:md6:ut_pexi5eee"u8.ToArray()));     // adds ut_pex, keeps ut_metadata
        Assert.True(ours.PeerSupports("ut_metadata") && ours.PeerSupports("ut_pex"));
        Assert.Equal("other 1.0", ours.Theirs!.Client);
        ours.Route(PeerMessage.Extended(0, "d1:md11:ut_metadatai0eee"u8.ToArray())); // BEP 10: 0 disables
        Assert.False(ours.PeerSupports("ut_metadata"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => ours.SendAsync("ut_metadata", new byte[] { 1 }, Ct).AsTask());
    }

    [Fact]
    public async Task ReceiveAsync_ExtendedBeforeBitfield_IsAllowed()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Extended, Extended);
        await using var _ = client;
        await using var __ = server;

        await server.SendAsync(new[] { PeerMessage.Extended(0, "de"u8.ToArray()), PeerMessage.BitfieldOf(new byte[] { 0x80 }) }, Ct);

        Assert.Equal(MessageKind.Extended, (await client.ReceiveAsync(Ct)).Kind);
        Assert.Equal(MessageKind.Bitfield, (await client.ReceiveAsync(Ct)).Kind);   // still the first BEP 3 message
    }
}
