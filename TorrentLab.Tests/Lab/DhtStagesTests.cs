using System.Net;
using TorrentLab.Dht;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>The DHT stages (dht-ping, dht-get-peers, dht-magnet-download) and their synthetic nodes: our CLI passes them with faults, and
/// the nodes log the evidence the hints are drawn from.</summary>
[Trait("Tier", "Slow")]
public class DhtStagesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("dht-ping")]
    [InlineData("dht-get-peers")]
    [InlineData("dht-magnet-download")]
    public async Task OurCli_WithFaultyNodes_PassesTheDhtStage(string stage)
    {
        var (results, report) = await StudentClients.CheckAsync(["dotnet", CliRunner.CliDll],
            new LabCheckOptions { Seed = 909, Faults = true, Stage = stage });

        Assert.True(Assert.Single(results).Result.Passed, report);
    }

    [Fact]
    public async Task Chain_EachNodeIsCloserToTheInfoHash_AndOnlyTheLastHoldsPeers()
    {
        await using var dht = LabDht.Chained(new Random(3), faults: true);

        var distances = dht.Chain.Select(n => n.Id.LogDistanceTo(dht.InfoHash)).ToList();
        Assert.Equal(distances.OrderDescending(), distances);
        Assert.Equal(distances.Count, distances.Distinct().Count());
        Assert.All(dht.Chain.SkipLast(1), n => Assert.Empty(n.Values));
        Assert.Equal(dht.Peers, dht.Chain[^1].Values);
        Assert.Equal([SyntheticDhtBehaviour.Silent, SyntheticDhtBehaviour.Garbage], dht.Faulty.Select(f => f.Behaviour));
    }

    [Fact]
    public async Task AnnounceWithATokenNeverGiven_IsRefused_AndTheHintSaysEchoTheToken()
    {
        await using var dht = LabDht.Single(new Random(4), SyntheticDhtBehaviour.Normal);
        await using var node = await LocalDht.StartNodeAsync(Ct);
        var hash = NodeId.Random(new Random(5));

        var answer = await node.QueryAsync(dht.Bootstrap.EndPoint, new KrpcQuery([], KrpcMethods.GetPeers, node.Id) { InfoHash = hash }, Ct);
        Assert.NotNull(answer.Token);
        var forged = new KrpcQuery([], KrpcMethods.AnnouncePeer, node.Id) { InfoHash = hash, Port = 7000, Token = "not-it"u8.ToArray() };
        var e = await Assert.ThrowsAsync<DhtException>(() => node.QueryAsync(dht.Bootstrap.EndPoint, forged, Ct));
        var echoed = forged with { Token = answer.Token };
        await node.QueryAsync(dht.Bootstrap.EndPoint, echoed, Ct); // the real token is accepted

        Assert.Equal(KrpcError.Protocol, e.ErrorCode);
        Assert.Single(dht.Log, l => l.Contains(DhtEvidence.TokenNotEchoed, StringComparison.Ordinal));
        Assert.Contains("'token' that the same node gave you", DhtEvidence.Hint(dht), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindNodeOnly_TheHintSaysAskGetPeers()
    {
        await using var dht = LabDht.Chained(new Random(6), faults: false);
        await using var node = await LocalDht.StartNodeAsync(Ct);

        await node.QueryAsync(dht.Bootstrap.EndPoint, new KrpcQuery([], KrpcMethods.FindNode, node.Id) { Target = dht.InfoHash }, Ct);

        Assert.Contains("asked find_node only", DhtEvidence.LookupHint(dht), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotADictionary_FromAClientThatSendsNothingElse_TheHintSaysOneBencodedDictionary()
    {
        await using var dht = LabDht.Single(new Random(8), SyntheticDhtBehaviour.Normal);

        using var client = await SendBarePingAsync(dht);
        await Wait.UntilAsync(() => dht.Bootstrap.Received == 1, TimeSpan.FromSeconds(30), "the node never got the datagram", Ct);

        Assert.True(dht.ClientSentNonDictionary);
        Assert.Contains("one bencoded dictionary", DhtEvidence.Hint(dht), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotADictionary_FromTheSocketThatAlsoSpeaksKrpc_IsTheClients()
    {
        await using var dht = LabDht.Single(new Random(9), SyntheticDhtBehaviour.Normal);

        using var client = await SendBarePingAsync(dht);
        await client.SendAsync(Ping, dht.Bootstrap.EndPoint, Ct);
        await client.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct); // answered, so both were read

        Assert.Contains("one bencoded dictionary", DhtEvidence.Hint(dht), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotADictionary_FromAnotherProgramBesideAClientThatSpeaksKrpc_IsNotTheClientsMistake()
    {
        // Another program's datagram reaching a lab node's port (a uTP packet to a port the kernel handed out again):
        // the client it sits beside speaks well-formed KRPC, and its hint must not blame the client for the stray.
        await using var dht = LabDht.Single(new Random(10), SyntheticDhtBehaviour.Normal);
        using var stray = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await stray.SendAsync(new byte[] { 0x41, 0x00, 0x12, 0x34 }, dht.Bootstrap.EndPoint, Ct);
        await client.SendAsync(Ping, dht.Bootstrap.EndPoint, Ct);
        await client.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await Wait.UntilAsync(() => dht.Bootstrap.Received == 2, TimeSpan.FromSeconds(30), "the node never got the stray datagram", Ct);

        Assert.Contains(dht.Log, l => l.Contains("not a bencoded dictionary", StringComparison.Ordinal)); // logged, with its sender
        Assert.False(dht.ClientSentNonDictionary);
        Assert.Null(DhtEvidence.Hint(dht));
    }

    private static byte[] Ping => "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"u8.ToArray();

    /// <summary>Sends <c>ping</c> bare (four bytes, not a bencoded dictionary) to <paramref name="dht"/>'s first node from
    /// a new socket on 127.0.0.1, which it returns for the test to go on with.</summary>
    private static async Task<System.Net.Sockets.UdpClient> SendBarePingAsync(LabDht dht)
    {
        var client = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        try
        {
            await client.SendAsync("ping"u8.ToArray(), dht.Bootstrap.EndPoint, Ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    [Fact]
    public async Task HexInfoHash_IsRefused_AndTheHintSaysRawBytes()
    {
        await using var dht = LabDht.Single(new Random(7), SyntheticDhtBehaviour.Normal);
        using var udp = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var query = System.Text.Encoding.ASCII.GetBytes(
            $"d1:ad2:id20:abcdefghij01234567899:info_hash40:{new string('a', 40)}e1:q9:get_peers1:t2:aa1:y1:qe");

        await udp.SendAsync(query, dht.Bootstrap.EndPoint, Ct);
        var answer = KrpcCodec.Decode((await udp.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct)).Buffer);

        Assert.Equal(KrpcError.Protocol, Assert.IsType<KrpcError>(answer).Code);
        Assert.Contains("20 raw bytes, not as 40 hex characters", DhtEvidence.Hint(dht), StringComparison.Ordinal);
    }
}
