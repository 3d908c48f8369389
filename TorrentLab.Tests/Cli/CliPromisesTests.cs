using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using TorrentLab.Cli;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Options that do what they say: <c>--overwrite</c>, <c>magnet_info</c>'s time limit, <c>--log-file</c>,
/// the timestamps of <c>-v</c>, the DHT commands' <c>--port</c>; and the README's exit codes, which are the code's.</summary>
[Trait("Tier", "Slow")]
public partial class CliPromisesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built Single(string url) => TestTorrents.SingleFile(length: 150_000, announce: url);

    [Fact]
    public void DownloadPiece_ExistingFileWithoutOverwrite_IsKeptAndRefusedBeforeAnyPeerIsAsked()
    {
        using var folder = new TempFolder("torrentlab-overwrite");
        var torrent = TestTorrents.SingleFile(length: 50_000, announce: null).WriteTorrent(folder.Path);
        File.WriteAllText(folder.Combine("piece"), "mine");

        var result = CliRunner.Run(["download_piece", "-o", folder.Combine("piece"), torrent, "0", "--no-dht"]);

        Assert.Equal(CliRunner.Codes.Io, result.ExitCode);
        Assert.Equal($"error: {folder.Combine("piece")} already exists (use --overwrite to replace it)\n", result.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal("mine", File.ReadAllText(folder.Combine("piece")));
    }

    [Fact]
    public async Task DownloadPiece_ExistingFileWithOverwrite_IsReplacedByThePiece()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder("torrentlab-overwrite");
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        File.WriteAllText(folder.Combine("piece"), "mine");

        var result = await CliRunner.RunAsync(["download_piece", "-o", folder.Combine("piece"), torrent, "0", "--overwrite", "--no-dht"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(swarm.Built.Payload.AsSpan(0, 16384).ToArray(), File.ReadAllBytes(folder.Combine("piece")));
    }

    [Fact]
    public void MagnetInfo_NobodyGivesTheMetadata_SaysWhyWhileWaitingAndGivesUpAtItsLimit()
    {
        var closed = ProcessRunner.FreeTcpAndUdpPort(); // nothing listens there: every round fails at once
        var link = $"magnet:?xt=urn:btih:{new string('a', 40)}&x.pe=127.0.0.1:{closed}";

        var result = CliRunner.Run(["magnet_info", link, "--no-dht", "--stall-timeout", "8s"], TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == CliRunner.Codes.Peer, $"exit {result.ExitCode}: {result.Stderr}");
        var lines = result.Stderr.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"waiting for the metadata of {new string('a', 40)}: ", lines[0]);
        Assert.Contains("gave up after", lines[^1]);
    }

    [Fact]
    public async Task LogFile_GetsTheProtocolLog_EachLineWithDateAndTime_AndVerboseLinesAreTimed()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder("torrentlab-logfile");
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync([torrent, "-d", folder.Combine("out"), "--log-file", folder.Combine("run.log"), "-q", "-v", "-m", "4", "--no-dht", "-p", "0", "--bind", "127.0.0.1"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(folder.Combine("out", swarm.Built.Torrent.Name)));
        var logged = File.ReadAllLines(folder.Combine("run.log"));
        Assert.NotEmpty(logged);
        Assert.All(logged, line => Assert.Matches(FileStamp(), line));
        var verbose = result.Stderr.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(logged.Length, verbose.Count(line => VerboseStamp().IsMatch(line)));
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d \S")]
    private static partial Regex FileStamp();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} \S")]
    private static partial Regex VerboseStamp();

    [Theory]
    [InlineData("put", "hello")]
    [InlineData("get", "0000000000000000000000000000000000000000")]
    public void Dht_PortGivenAndTaken_FailsWithExit10(string verb, string argument)
    {
        using var held = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        var port = ((IPEndPoint)held.Client.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

        var result = CliRunner.Run(["dht", verb, argument, "--port", port, "--bootstrap", "127.0.0.1:9", "--timeout", "1"]);

        Assert.True(result.ExitCode == CliRunner.Codes.PortUnavailable, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains(port, Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void DhtSampleInfohashes_PortGivenAndTaken_FailsWithExit10()
    {
        using var held = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        var port = ((IPEndPoint)held.Client.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

        var result = CliRunner.Run(["dht", "sample_infohashes", "127.0.0.1:9", "--port", port, "--timeout", "1"]);

        Assert.True(result.ExitCode == CliRunner.Codes.PortUnavailable, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains(port, Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    /// <summary>The node a command asks first sees the query come from the port given (a firewall letting one port
    /// through sees the same).</summary>
    [Theory]
    [InlineData("put", "hello", "--dht-bootstrap")]
    [InlineData("get", "0000000000000000000000000000000000000000", "--dht-bootstrap")]
    [InlineData("sample_infohashes", null, null)] // the node is the argument
    public async Task Dht_PortGiven_IsWhereItsQueriesComeFrom(string verb, string? argument, string? nodeOption)
    {
        using var node = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var address = node.Client.LocalEndPoint!.ToString()!;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        string[] args = nodeOption is null
            ? ["dht", verb, address, "--port", port.ToString(CultureInfo.InvariantCulture), "--timeout", "2"]
            : ["dht", verb, argument!, nodeOption, address, "--port", port.ToString(CultureInfo.InvariantCulture), "--timeout", "2"];

        var run = CliRunner.RunAsync(args);
        var query = await node.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var result = await run;

        Assert.True(query.RemoteEndPoint.Port == port, $"the query came from port {query.RemoteEndPoint.Port}, not {port}: {result.Stderr}");
        Assert.NotEqual(CliRunner.Codes.PortUnavailable, result.ExitCode);
    }

    /// <summary>The README's table of exit codes lists exactly the codes the CLI has.</summary>
    [Fact]
    public void Readme_ExitCodeTable_IsTheCodesOfTheCli()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var table = readme[readme.IndexOf("## Exit codes", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", table.IndexOf("|---|", StringComparison.Ordinal), StringComparison.Ordinal)];
        var documented = ExitCodeRow().Matches(table).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ToList();

        var codes = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetValue(null)!).Order().ToList();

        Assert.Equal(codes, documented);
    }

    [GeneratedRegex(@"^\| (\d+) \|", RegexOptions.Multiline)]
    private static partial Regex ExitCodeRow();
}
