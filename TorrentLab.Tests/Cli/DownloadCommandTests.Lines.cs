using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>The lines a user reads: each names a peer once, counts read as English, a finished torrent says so.</summary>
public partial class DownloadCommandTests
{
    [Fact]
    public async Task MainCommand_Verbose_NamesADeadPeerOnceInEachLine()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var dead = ProcessRunner.FreeTcpPort(); // nothing listens there

        // Over TCP only, the dead peer's dial is refused at once, with no timer: it is in the book before the tracker
        // is asked, so its failed dial is logged while the live peer is still being found. Over both transports it
        // failed only after uTP's head start and last chance, and the 150 kB download could finish first and cancel it.
        // (--max-peers 1 would run the single-peer reference path, not the swarm engine whose lines this checks.)
        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--no-resume", "-v", "-q", "--port", "0", "--transport", "tcp", "--peer", $"127.0.0.1:{dead}"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var lines = result.Stderr.Split('\n').Where(l => l.Contains($"127.0.0.1:{dead}", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines); // the dial failed and was logged
        Assert.All(lines, line => Assert.Single(System.Text.RegularExpressions.Regex.Matches(line, $@"127\.0\.0\.1:{dead}\b")));
    }

    [Fact]
    public async Task MainCommand_EverythingAlreadyOnDisk_SaysSoInsteadOfARateOfNothing()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        Assert.Equal(CliRunner.Codes.Ok, (await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "-q", "--port", "0"])).ExitCode);

        var again = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "-q", "--port", "0"]);

        Assert.Equal(CliRunner.Codes.Ok, again.ExitCode);
        var pieces = swarm.Built.Torrent.PieceCount;
        Assert.Equal($"'sample.txt' (146.5 KiB) is complete in {folder.Combine("out", "sample.txt")}: " +
                     $"all {pieces} of {pieces} pieces were already on disk, nothing to download\n", again.Stdout);
    }

    [Fact]
    public async Task MainCommand_OnePeer_SummaryCountsOnePeer()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "-q", "--port", "0", "--no-resume"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Matches(@"received 150000 bytes from 1 peer\n$", result.Stdout);
    }
}
