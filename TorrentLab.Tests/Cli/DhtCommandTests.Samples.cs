using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab dht sample_infohashes</c> (BEP 51) as a user runs it: against our own node on 127.0.0.1, a
/// node that does not know the query, a silent one, and libtorrent nodes (skipped visibly without python3-libtorrent).</summary>
public partial class DhtCommandTests
{
    [Fact]
    public async Task SampleInfohashes_OfOurNode_PrintsIntervalNumAndTheHashes()
    {
        await using var node = await DhtNode.StartAsync(Options(), Ct);
        var hashes = Enumerable.Range(0, 3).Select(_ => InfoHash.Compute(RandomNumberGenerator.GetBytes(8))).ToList();
        foreach (var hash in hashes) node.Peers.Add(DhtNode.ToNodeId(hash), IPEndPoint.Parse("127.0.0.1:6881"));

        var result = await CliRunner.RunAsync(["dht", "sample_infohashes", node.LocalEndPoint!.ToString(), "--timeout", AnswerTimeout]);

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal($"Interval: {((long)DhtNode.SampleInterval.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s", lines[0]);
        Assert.Equal("Num: 3", lines[1]);
        Assert.Equal(hashes.Select(h => h.Hex).Order(), lines[2..].Order());
    }

    [Fact]
    public async Task SampleInfohashes_Verbose_NamesTheNodesOfTheAnswerOnStderr()
    {
        var nodes = await SmallDhtAsync();
        try
        {
            var result = await CliRunner.RunAsync(["dht", "sample_infohashes", nodes[0].LocalEndPoint!.ToString(), "--target", nodes[^1].Id.Hex, "--verbose", "--timeout", AnswerTimeout]);

            Assert.Equal(("Interval: 300 s\nNum: 0\n", CliRunner.Codes.Ok), (result.Stdout, result.ExitCode));
            Assert.Contains($"node {nodes[^1].Id.Hex} {nodes[^1].LocalEndPoint}\n", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task SampleInfohashes_ANodeWithoutBep51_IsAPeerErrorThatSaysSo()
    {
        // A node that answers every query with BEP 5's error 204, "Method Unknown", as one without BEP 51 does.
        using var old = new ScriptedUdpNode();
        var answering = old.Run(node =>
        {
            var (data, from) = node.Receive();
            var query = (KrpcQuery)KrpcCodec.Decode(data);
            node.Send(KrpcCodec.Encode(new KrpcError(query.TransactionId, KrpcError.MethodUnknown, "Method Unknown")), from);
            return query.Method;
        });
        var address = old.Address;

        old.Note("command started");
        var result = await CliRunner.RunAsync(["dht", "sample_infohashes", address, "--timeout", AnswerTimeout]);
        old.Note("command ended");
        Assert.Equal(KrpcMethods.SampleInfohashes, await answering.WaitAsync(TimeSpan.FromSeconds(60), Ct));

        var expected = $"error: dht: {address} does not support sample_infohashes (BEP 51): ";
        Assert.True(result.Stderr.StartsWith(expected, StringComparison.Ordinal), $"stderr: {result.Stderr}the node: {old.Events}");
        Assert.Equal(("", CliRunner.Codes.Peer), (result.Stdout, result.ExitCode));
        Assert.Contains("error 204: Method Unknown", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleInfohashes_NobodyListening_IsAPeerErrorAfterTheTimeout()
    {
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var address = silent.Client.LocalEndPoint!.ToString()!;

        var result = CliRunner.Run(["dht", "sample_infohashes", address, "--timeout", "1"]);

        Assert.Equal(("", CliRunner.Codes.Peer), (result.Stdout, result.ExitCode));
        Assert.Equal($"error: dht: {address} did not answer 3 sample_infohashes queries within 1 s\n", result.Stderr);
    }

    [Fact]
    public async Task SampleInfohashes_ANodeThatMissesTheFirstQuery_AnswersTheNext()
    {
        // UDP loses datagrams, and a loaded node may miss one (a libtorrent node once left the only query unanswered for
        // 5 s at load ~40): the command sends the query again, as its ping does.
        using var lossy = new ScriptedUdpNode();
        var answering = lossy.Run(node =>
        {
            var first = (KrpcQuery)KrpcCodec.Decode(node.Receive().Data);   // lost
            var (data, from) = node.Receive();
            var query = (KrpcQuery)KrpcCodec.Decode(data);
            node.Send(KrpcCodec.Encode(new KrpcResponse(query.TransactionId, NodeId.Random()) { Num = 0, Interval = 60 }), from);
            return (first.Method, query.Method);
        });

        var result = await CliRunner.RunAsync(["dht", "sample_infohashes", lossy.Address, "--timeout", ResendTimeout]);

        Assert.Equal(("Interval: 60 s\nNum: 0\n", CliRunner.Codes.Ok), (result.Stdout, result.ExitCode));
        Assert.Equal((KrpcMethods.SampleInfohashes, KrpcMethods.SampleInfohashes), await answering.WaitAsync(TimeSpan.FromSeconds(60), Ct));
    }

    [Theory]
    [InlineData("dht", "sample_infohashes", "127.0.0.1")]                                      // no port
    [InlineData("dht", "sample_infohashes", "127.0.0.1:6881", "--target", "abc")]             // a short id
    [InlineData("dht", "sample_infohashes", "127.0.0.1:6881", "--timeout", "soon")]           // not a number
    public void SampleInfohashes_MalformedArguments_AreUsageErrors(params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Matches(@"^error: [^\n]*expect", result.Stderr);
    }

    [Fact]
    public async Task SampleInfohashes_OfLibtorrentNodes_ListsTheSeedersTorrent()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 3, Ct);   // the last node seeds and announced

        var answers = new List<ProcessRunner.Result>();
        foreach (var port in dht.Ports) answers.Add(await CliRunner.RunAsync(["dht", "sample_infohashes", $"127.0.0.1:{port}", "--timeout", AnswerTimeout]));

        Assert.All(answers, a => Assert.Equal(CliRunner.Codes.Ok, a.ExitCode));
        Assert.All(answers, a => Assert.Matches(@"^Interval: \d+ s\nNum: \d+\n", a.Stdout));
        // The seeder's announce reached at least two nodes (LibtorrentDht waits for it): they list its info hash.
        Assert.Contains(answers, a => a.Stdout.Split('\n').Contains(dht.InfoHash));
    }
}
