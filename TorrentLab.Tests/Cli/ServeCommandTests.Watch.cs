using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

public partial class ServeCommandTests
{
    /// <summary>A FIFO named like a torrent in the watch folder (whose open waits for a writer) neither holds up the
    /// torrent beside it nor a stop: serve refuses it, adds the other, and stops on SIGINT with its closing line. The
    /// bounds are generous (60 s, 30 s): timing is not what this test asserts.</summary>
    [Fact]
    public async Task Serve_SigintWithAFifoInTheWatchFolder_StopsOnItsOwn_AfterRefusingItAndAddingTheTorrentBesideIt()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("makes a FIFO and sends SIGINT with kill(1)");
        using var downloads = new TempFolder();
        using var watch = new TempFolder("torrentlab-watch");
        Assert.Equal(0, ProcessRunner.Run("mkfifo", [watch.Combine("x.torrent")], TimeSpan.FromSeconds(30)).ExitCode); // taken first
        await File.WriteAllBytesAsync(watch.Combine("y.torrent"), TestTorrents.SingleFile(length: 40_000, announce: null, seed: 63).TorrentBytes, Ct);
        using var process = ProcessRunner.Start("dotnet",
            [CliRunner.CliDll, "serve", "--port", "0", "--peer-port", "0", "--no-dht", "--downloads", downloads.Path, "--watch", watch.Path]);
        var lines = new List<string>();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(Ct) is { } line) lock (lines) lines.Add(line);
        }, Ct);
        string[] Lines() { lock (lines) return [.. lines]; }
        var exited = false;
        bool added;
        try
        {
            // Until the torrent beside the FIFO is added: the watcher has been past the FIFO by then.
            added = await Wait.UntilAsync(() => Lines().Contains("watch folder: added y.torrent"), TimeSpan.FromSeconds(60), Ct);
            ProcessRunner.Signal(process, "INT");
            exited = await Wait.ForAsync(process.WaitForExitAsync(Ct), TimeSpan.FromSeconds(30), Ct);
        }
        finally
        {
            if (!exited) ProcessRunner.Stop(process);
        }
        await Wait.ForAsync(stderr, TimeSpan.FromSeconds(30), Ct);

        Assert.True(exited, $"serve did not stop within 30 s of SIGINT with a FIFO in its watch folder; it wrote:\n{string.Join('\n', Lines())}");
        Assert.True(added, $"the torrent beside the FIFO was never added; serve wrote:\n{string.Join('\n', Lines())}");
        Assert.Equal(CliRunner.Codes.Ok, process.ExitCode);
        Assert.Contains("warning: watch folder: x.torrent is refused (a FIFO, not a regular file); renamed x.torrent.invalid", Lines());
        Assert.Equal("stopped: the torrent list and ledgers are saved", Lines()[^1]);
    }
}
