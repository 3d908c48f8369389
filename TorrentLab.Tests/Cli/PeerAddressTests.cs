using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Peer addresses on the command line (<c>--peer</c>, <c>handshake</c>): <c>ip:port</c>, <c>[v6]:port</c>
/// and <c>host:port</c> are taken; anything without a port is a usage error, not a download that never starts.</summary>
[Trait("Tier", "Slow")]
public class PeerAddressTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built DeadTracker(string _) =>
        TestTorrents.SingleFile(length: 40_000, pieceLength: 16 * 1024, name: "sample.txt", announce: "http://127.0.0.1:1/announce");

    [Theory]
    [InlineData("127.0.0.1")]          // no port
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("::1:6881")]           // IPv6 needs brackets before the port
    [InlineData("[127.0.0.1]:6881")]   // brackets are for IPv6 only
    [InlineData("host name:6881")]
    [InlineData(":6881")]
    public void MainCommand_PeerWithoutAUsablePort_IsAUsageErrorBeforeAnythingStarts(string peer)
    {
        using var folder = new TempFolder();
        var torrent = DeadTracker("").WriteTorrent(folder.Path);

        var result = CliRunner.Run([torrent, "-o", folder.Combine("out"), "--peer", peer], TimeSpan.FromSeconds(30));

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal($"error: --peer expects HOST:PORT (e.g. 127.0.0.1:6881, [::1]:6881, localhost:6881) with a port in 1..65535, got '{peer}' (see 'torrentlab --help')",
            result.Stderr.Trim());
        Assert.False(Directory.Exists(folder.Combine("out", "sample.txt")));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task MainCommand_PeerByHostNameOrAddress_DownloadsFromIt(string host)
    {
        await using var swarm = await MockSwarm.StartAsync(DeadTracker, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--quiet", "--peer", $"{host}:{swarm.EndPointOf(0).Port}"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(folder.Combine("out", "sample.txt")));
    }

    [Fact]
    public async Task Handshake_PeerByHostName_PrintsThePeerId()
    {
        await using var swarm = await MockSwarm.StartAsync(DeadTracker, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync(["handshake", torrent, $"localhost:{swarm.EndPointOf(0).Port}"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal($"Peer ID: {swarm.Peers[0].PeerId.Hex}\n", result.Stdout);
    }
}
