using System.Net;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab dht ping</c> and <c>dht get_peers</c> as a user runs them, against our own DHT nodes on
/// 127.0.0.1 in this process (the libtorrent DHT is in Dht/LibtorrentDhtInteropTests).</summary>
[Trait("Tier", "Slow")]
public partial class DhtCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly InfoHash Hash = InfoHash.FromHex("abcdef0123456789abcdef0123456789abcdef01");

    /// <summary>The <c>--timeout</c> of a ping or sample_infohashes whose node answers (the default is 5 s): the answer
    /// ends the command at once, so only a loaded machine could reach it. At load ~30 (a clean-clone run beside two busy
    /// loops and the lab's and the pack check's processes) a command's 5 s passed without it reading the answer of a
    /// scripted node (on a thread of its own): the command, or the node, had too little of the two cores within them.</summary>
    private const string AnswerTimeout = "60";

    /// <summary>The <c>--timeout</c> of a command whose node ignores a query, so that the resend (after a third of it)
    /// is what gets the answer: 10 s for the answer after the resend, where the default left 3.3.</summary>
    private const string ResendTimeout = "15";

    private static DhtNodeOptions Options(params string[] bootstrap) =>
        new() { Bootstrap = bootstrap, LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), QueryTimeout = TimeSpan.FromSeconds(2) };

    /// <summary>Three of our nodes on real UDP sockets, the last holding one peer for <see cref="Hash"/>; the first knows
    /// the other two.</summary>
    /// <remarks>The nodes' queries wait on a manual clock nobody moves: on loopback every query is answered, so a
    /// query timeout could only drop an answer a loaded machine delivers late (and the first node would then not know
    /// a node the commands under test are to be told of). The commands' own node keeps the system clock.</remarks>
    private static async Task<List<DhtNode>> SmallDhtAsync()
    {
        var clock = new ManualClock();
        var first = await DhtNode.StartAsync(Options() with { Clock = clock }, Ct);
        var nodes = new List<DhtNode> { first };
        for (var i = 0; i < 2; i++) nodes.Add(await DhtNode.StartAsync(Options(first.LocalEndPoint!.ToString()) with { Clock = clock }, Ct));
        nodes[^1].Peers.Add(DhtNode.ToNodeId(Hash), IPEndPoint.Parse("127.0.0.1:51413"));
        foreach (var node in nodes) await node.Bootstrapped;
        await first.BootstrapAsync([], Ct); // the first node learns the others' ids by asking them
        Assert.Equal(2, first.NodeCount);
        return nodes;
    }

    [Fact]
    public async Task Ping_PrintsTheNodesId()
    {
        await using var node = await DhtNode.StartAsync(Options(), Ct);

        var result = await CliRunner.RunAsync(["dht", "ping", node.LocalEndPoint!.ToString(), "--timeout", AnswerTimeout]);

        Assert.Equal(($"Node ID: {node.Id.Hex}\n", CliRunner.Codes.Ok), (result.Stdout, result.ExitCode));
    }

    [Fact]
    public async Task Ping_AnIPv6Node_InBrackets_PrintsItsId()
    {
        // BEP 32: a node on [::1] is in the IPv6 DHT; the command's own node then listens on IPv6 too.
        await using var node = await DhtNode.StartAsync(Options() with { LocalEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0) }, Ct);

        var result = await CliRunner.RunAsync(["dht", "ping", node.LocalEndPoint!.ToString(), "--timeout", AnswerTimeout]);

        Assert.StartsWith("[::1]:", node.LocalEndPoint.ToString(), StringComparison.Ordinal);
        Assert.Equal(($"Node ID: {node.Id.Hex}\n", CliRunner.Codes.Ok), (result.Stdout, result.ExitCode));
    }

    [Fact]
    public async Task GetPeers_FollowsTheNodes_AndPrintsThePeer()
    {
        var nodes = await SmallDhtAsync();
        try
        {
            var result = await CliRunner.RunAsync(["dht", "get_peers", Hash.Hex, "--bootstrap", nodes[0].LocalEndPoint!.ToString(), "--verbose"]);

            Assert.Equal(("127.0.0.1:51413\n", CliRunner.Codes.Ok), (result.Stdout, result.ExitCode));
            Assert.Contains("hop   1: ", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("distance 2^", result.Stderr, StringComparison.Ordinal);
            Assert.Contains(nodes[^1].Id.Hex[..12], result.Stderr, StringComparison.Ordinal); // the node with the peer was reached
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task GetPeers_NobodyHasPeers_ExitsOneWithAClearLine()
    {
        await using var node = await DhtNode.StartAsync(Options(), Ct);

        var result = await CliRunner.RunAsync(["dht", "get_peers", new string('7', 40), "--bootstrap", node.LocalEndPoint!.ToString()]);

        Assert.Equal(("", CliRunner.Codes.Failed), (result.Stdout, result.ExitCode));
        Assert.StartsWith("error: no peers found for 7777", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>UDP may deliver an answer late: the answer to the first ping, coming after that ping's share of the
    /// timeout (a third) but within the timeout, is taken. (A node that ignores the later pings; it used to fail.)</summary>
    [Fact]
    public async Task Ping_AnAnswerToAnEarlierPingComingLate_IsTaken()
    {
        using var slow = new ScriptedUdpNode();
        var id = NodeId.Random();
        var answering = slow.Run(node =>
        {
            var (first, from) = node.Receive();
            node.Receive(); // the second ping: the first ping's share of the timeout (5 s of 15) is over
            var query = (KrpcQuery)KrpcCodec.Decode(first);
            node.Send(KrpcCodec.Encode(new KrpcResponse(query.TransactionId, id)), from);
            return true;
        });

        var result = await CliRunner.RunAsync(["dht", "ping", slow.Address, "--timeout", ResendTimeout]);
        await answering.WaitAsync(TimeSpan.FromSeconds(30), Ct); // done by now unless the second ping never came

        Assert.Equal(($"Node ID: {id.Hex}\n", CliRunner.Codes.Ok), (result.Stdout, result.ExitCode));
    }

    [Fact]
    public void Ping_NobodyListening_IsAPeerErrorAfterTheTimeout()
    {
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never answers
        var address = silent.Client.LocalEndPoint!.ToString()!;

        var result = CliRunner.Run(["dht", "ping", address, "--timeout", "1"]);

        Assert.Equal(CliRunner.Codes.Peer, result.ExitCode);
        Assert.Equal($"error: dht: {address} did not answer 3 pings within 1 s\n", result.Stderr);
    }

    [Theory]
    [InlineData("dht", "ping", "not-an-address")]
    [InlineData("dht", "ping", "127.0.0.1:0")]
    [InlineData("dht", "get_peers", "abc", "--bootstrap", "127.0.0.1:6881")]
    [InlineData("dht", "get_peers", "abcdef0123456789abcdef0123456789abcdef01", "--bootstrap", "127.0.0.1:99999")]
    public void MalformedArguments_AreUsageErrors(params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Matches(@"^error: [^\n]*expect", result.Stderr);
    }

    [Fact]
    public void GetPeers_WithoutBootstrap_InTheTestSuite_RefusesThePublicRouters()
    {
        var result = CliRunner.Run(["dht", "get_peers", Hash.Hex]);

        Assert.Equal(CliRunner.Codes.Peer, result.ExitCode);
        Assert.Contains("router.bittorrent.com:6881 is not a loopback address", result.Stderr, StringComparison.Ordinal);
    }
}
