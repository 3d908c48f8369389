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
        var result = CliRunner.Run([torrent, "-o", folder.Combine("out"), "--port", "0", "--bind", "127.0.0.1", "--stall-timeout", "12"],
            TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == CliRunner.Codes.Failed, result.Stderr);
        Assert.Contains($"-- waiting for peers: 0 connected, 0 known; tracker {swarm.Tracker.HttpAnnounceUrl} answered", result.Stderr);
        Assert.Contains("error: no peer delivered data for 12 s: 0 connected", result.Stderr);
    }
}
