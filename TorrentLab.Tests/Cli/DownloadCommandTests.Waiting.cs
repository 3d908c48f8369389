using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

// Waiting for peers: the main download waits (showing why) unless --stall-timeout gives it a limit.
public partial class DownloadCommandTests
{
    [Fact]
    public async Task MainCommand_StallTimeoutAndNoPeers_ShowsWhyItWaitsThenGivesUpWithExitCode1()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, Array.Empty<TorrentLab.Lab.SyntheticBehaviour>(), Ct); // the tracker answers, with nobody
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        // Plain progress lines every 2 s (stderr is redirected); the status shows after 5 s without data.
        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--port", "0", "--bind", "127.0.0.1", "--stall-timeout", "12"],
            TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == CliRunner.Codes.Failed, result.Stderr);
        Assert.Contains($"-- waiting for peers: 0 connected, 0 known; tracker {swarm.Tracker.HttpAnnounceUrl} answered", result.Stderr);
        Assert.Contains("error: no peer delivered data for 12 s: 0 connected", result.Stderr);
    }

    /// <summary>A UDP tracker that never answers takes minutes to fail (BEP 15: 15 s, then 30 s, then 60 s): a download
    /// that gives up sooner names it in the waiting line and in its error, rather than "0 connected" alone.</summary>
    [Fact]
    public void ClassroomDownload_SilentUdpTracker_IsNamedInTheWaitingLineAndTheError()
    {
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)); // bound, never answers
        var url = $"udp://127.0.0.1:{((System.Net.IPEndPoint)silent.Client.LocalEndPoint!).Port}/announce";
        using var folder = new TempFolder();
        var built = Single(url);
        var torrent = built.WriteTorrent(folder.Path);

        var result = CliRunner.Run(["download", "-o", folder.Combine("sample.txt"), torrent, "--no-dht", "--port", "0", "--bind", "127.0.0.1", "--stall-timeout", "8s"],
            TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == CliRunner.Codes.Failed, result.Stderr);
        Assert.Contains($"announcing to {url}, no answer yet", result.Stderr); // the waiting line, after 5 s without data
        Assert.Contains($"error: no peer delivered data for 8 s: 0 connected, 0 banned; tracker: no answer yet from {url}", result.Stderr);
    }
}
