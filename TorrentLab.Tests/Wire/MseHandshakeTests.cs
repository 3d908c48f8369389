using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>Both MSE/PE roles against the separately written <see cref="MseReferencePeer"/>, every crypto_select
/// choice, and hostile peers.</summary>
public class MseHandshakeTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly InfoHash Hash = InfoHash.FromHex("0123456789abcdef0123456789abcdef01234567");

    /// <summary>A connected pair of TCP streams on loopback: ours and the reference peer's.</summary>
    private static async Task<(NetworkStream Ours, NetworkStream Theirs)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, Ct);
        var server = await listener.AcceptAsync(Ct);
        server.ReceiveTimeout = 20_000; // the reference peer blocks; a broken test fails instead of hanging
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    [Theory]
    [InlineData(EncryptionPolicy.Prefer, MseHandshake.Rc4Method, nameof(ConnectionEncryption.Rc4))]
    [InlineData(EncryptionPolicy.Prefer, MseHandshake.Plaintext, nameof(ConnectionEncryption.MsePlaintext))]
    [InlineData(EncryptionPolicy.Require, MseHandshake.Rc4Method, nameof(ConnectionEncryption.Rc4))]
    public async Task InitiateAsync_AgainstTheReferenceResponder_UsesTheSelectedMethodBothWays(EncryptionPolicy policy, uint select,
        string expectedName) // the enum's name: ConnectionEncryption is internal
    {
        var expected = Enum.Parse<ConnectionEncryption>(expectedName);
        var (ours, theirs) = await PairAsync();
        await using var _ = theirs;
        var offered = 0u;
        var responder = Task.Run(() => MseReferencePeer.Respond(theirs, Hash.Bytes.ToArray(), provide => { offered = provide; return select; }, padB: 333), Ct);

        var result = await MseHandshake.InitiateAsync(ours, Hash, policy, "peer test", padding: 200, ct: Ct);
        var outcome = await responder;
        await using var transport = result.Transport;

        Assert.Equal(policy == EncryptionPolicy.Require ? 0x02u : 0x03u, offered);
        Assert.Equal(expected, result.Method);
        Assert.Empty(result.Initial);
        await transport.WriteAsync("ping from A"u8.ToArray(), Ct);
        var seen = MseReferencePeer.ReadExact(theirs, 11);
        Assert.Equal("ping from A"u8.ToArray(), select == MseHandshake.Rc4Method ? outcome.Receive.Crypt(seen) : seen);
        var reply = "pong from B"u8.ToArray();
        theirs.Write(select == MseHandshake.Rc4Method ? outcome.Send.Crypt(reply) : reply);
        var back = new byte[reply.Length];
        await transport.ReadExactlyAsync(back, Ct);
        Assert.Equal(reply, back);
    }

    [Theory]
    [InlineData(EncryptionPolicy.Prefer, 0x03u, MseHandshake.Rc4Method)]     // both offered: RC4 chosen
    [InlineData(EncryptionPolicy.Prefer, 0x02u, MseHandshake.Rc4Method)]
    [InlineData(EncryptionPolicy.Prefer, 0x01u, MseHandshake.Plaintext)]     // plaintext only: accepted under prefer
    [InlineData(EncryptionPolicy.Require, 0x03u, MseHandshake.Rc4Method)]
    [InlineData(EncryptionPolicy.Require, 0x02u, MseHandshake.Rc4Method)]
    public async Task ReceiveAsync_AgainstTheReferenceInitiator_SelectsAndKeepsTheInitialPayload(EncryptionPolicy policy, uint provide, uint expected)
    {
        var (ours, theirs) = await PairAsync();
        await using var _ = theirs;
        var ia = "\u0013BitTorrent protocol and more"u8.ToArray();
        var initiator = Task.Run(() => MseReferencePeer.Initiate(theirs, Hash.Bytes.ToArray(), provide, padA: 512, ia: ia, padC: 17), Ct);
        var first = MseReferencePeer.ReadExact(ours, 20);   // what AcceptAsync reads to tell MSE from plaintext

        var result = await MseHandshake.ReceiveAsync(ours, first, [TestDownloader.OtherHash, Hash], policy, "peer test", padding: 0, ct: Ct);
        var outcome = await initiator;
        await using var transport = result.Transport;

        Assert.Equal(expected, outcome.Selected);
        Assert.Equal(Hash, result.InfoHash);
        Assert.Equal(ia, result.Initial);
        var data = "after the handshake"u8.ToArray();
        theirs.Write(expected == MseHandshake.Rc4Method ? outcome.Send.Crypt(data) : data);
        var got = new byte[data.Length];
        await transport.ReadExactlyAsync(got, Ct);
        Assert.Equal(data, got);
    }

    [Fact]
    public async Task ReceiveAsync_PlaintextOnlyOfferUnderRequire_FailsWithoutBlamingThePeer()
    {
        var (ours, theirs) = await PairAsync();
        await using var _ = theirs;
        var initiator = Task.Run(() => MseReferencePeer.Initiate(theirs, Hash.Bytes.ToArray(), provide: 0x01), Ct);

        var e = await Assert.ThrowsAsync<WireException>(() =>
            MseHandshake.ReceiveAsync(ours, ReadOnlyMemory<byte>.Empty, [Hash], EncryptionPolicy.Require, "peer test", ct: Ct));

        Assert.Contains("offers crypto methods 0x00000001", e.Message);
        Assert.False(e.IsViolation);
        ours.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => initiator);
    }

    [Theory]
    [InlineData(EncryptionPolicy.Require, 0x01u)]   // plaintext selected though only RC4 was offered
    [InlineData(EncryptionPolicy.Prefer, 0x04u)]    // a method that does not exist
    [InlineData(EncryptionPolicy.Prefer, 0x03u)]    // two methods at once
    public async Task InitiateAsync_PeerSelectsAMethodWeDidNotOffer_IsAViolation(EncryptionPolicy policy, uint select)
    {
        var (ours, theirs) = await PairAsync();
        await using var _ = theirs;
        var responder = Task.Run(() => MseReferencePeer.Respond(theirs, Hash.Bytes.ToArray(), _ => select), Ct);

        var e = await Assert.ThrowsAsync<WireException>(() => MseHandshake.InitiateAsync(ours, Hash, policy, "peer test", ct: Ct));

        Assert.Contains($"selected crypto method 0x{select:x8}", e.Message);
        Assert.True(e.IsViolation);
        await responder;
    }

    [Fact]
    public async Task ReceiveAsync_100KiBOfPadding_FailsAfter512BytesWithoutBufferingIt()
    {
        var (ours, theirs) = await PairAsync();
        await using var _ = theirs;
        await using var __ = ours;
        var flood = Task.Run(() => MseReferencePeer.SendKeyWithPadding(theirs, 100 * 1024), Ct);

        var e = await Assert.ThrowsAsync<WireException>(() =>
            MseHandshake.ReceiveAsync(ours, ReadOnlyMemory<byte>.Empty, [Hash], EncryptionPolicy.Prefer, "peer test", ct: Ct));

        Assert.Contains("no HASH('req1', S) from the peer within 512 bytes of padding", e.Message);
        Assert.True(e.IsViolation);
        ours.Dispose();
        await Record.ExceptionAsync(() => flood); // the kernel may have absorbed the flood, or the close cut it short
    }

    [Fact]
    public async Task InitiateAsync_100KiBOfPaddingAfterTheirKey_FailsAfter512Bytes()
    {
        var (ours, theirs) = await PairAsync();
        await using var _ = theirs;
        var responder = Task.Run(() =>
        {
            MseReferencePeer.ReadExact(theirs, 96);
            MseReferencePeer.SendKeyWithPadding(theirs, 100 * 1024);
        }, Ct);

        var e = await Assert.ThrowsAsync<WireException>(() => MseHandshake.InitiateAsync(ours, Hash, EncryptionPolicy.Prefer, "peer test", padding: 0, ct: Ct));

        Assert.Contains("no ENCRYPT(VC) from the peer within 512 bytes of padding", e.Message);
        ours.Dispose();
        await Record.ExceptionAsync(() => responder);
    }

    [Fact]
    public async Task ReceiveAsync_SkeyOfATorrentWeDoNotServe_IsRefused()
    {
        var (ours, theirs) = await PairAsync();
        await using var _ = theirs;
        var initiator = Task.Run(() => MseReferencePeer.Initiate(theirs, TestDownloader.OtherHash.Bytes.ToArray(), 0x03), Ct);

        var e = await Assert.ThrowsAsync<WireException>(() =>
            MseHandshake.ReceiveAsync(ours, ReadOnlyMemory<byte>.Empty, [Hash], EncryptionPolicy.Prefer, "peer test", ct: Ct));

        Assert.Contains("a torrent we do not serve", e.Message);
        ours.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => initiator);
    }

    [Fact]
    public async Task BothRolesOfTheLibrary_AgreeWithEachOther()
    {
        var (a, b) = await PairAsync();
        var receiver = MseHandshake.ReceiveAsync(b, ReadOnlyMemory<byte>.Empty, [Hash], EncryptionPolicy.Prefer, "peer b", ct: Ct);

        var initiated = await MseHandshake.InitiateAsync(a, Hash, EncryptionPolicy.Require, "peer a", ct: Ct);
        var received = await receiver;
        await using var ta = initiated.Transport;
        await using var tb = received.Transport;

        Assert.Equal(ConnectionEncryption.Rc4, initiated.Method);
        Assert.Equal(ConnectionEncryption.Rc4, received.Method);
        var block = new byte[100_000];
        Random.Shared.NextBytes(block);
        await ta.WriteAsync(block, Ct);
        var got = new byte[block.Length];
        await tb.ReadExactlyAsync(got, Ct);
        Assert.Equal(block, got);
    }
}
