using System.Diagnostics;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

/// <summary>Our client against opentracker, with a python3-libtorrent seeder that announced to it.</summary>
public class OpenTrackerInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Peers_AgainstOpentrackerOverHttpAndUdp_ListsTheLibtorrentSeeder()
    {
        var opentracker = Interop.RequireExecutable("opentracker");
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-opentracker");
        var port = ProcessRunner.FreeTcpAndUdpPort();
        var built = TestTorrents.SingleFile(length: 200_000, announce: $"http://127.0.0.1:{port}/announce");
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));

        // Debian's opentracker tracks only whitelisted hashes; it chroots into -d and reads -w from there as 'nobody'.
        var state = folder.Combine("state");
        Directory.CreateDirectory(state);
        await File.WriteAllTextAsync(Path.Combine(state, "whitelist.txt"), built.Torrent.InfoHash.Hex + "\n", Ct);
        if (!OperatingSystem.IsLinux()) { Assert.Skip("opentracker runs on Linux here"); return; }
        File.SetUnixFileMode(folder.Path, (UnixFileMode)0b111_101_101);                             // 755
        File.SetUnixFileMode(state, (UnixFileMode)0b111_101_101);                                   // 755
        File.SetUnixFileMode(Path.Combine(state, "whitelist.txt"), (UnixFileMode)0b110_100_100);    // 644

        using var tracker = ProcessRunner.Start(opentracker, ["-i", "127.0.0.1", "-p", port.ToString(), "-P", port.ToString(), "-d", state, "-w", "whitelist.txt"]);
        try
        {
            Assert.True(ProcessRunner.WaitForTcp(port, TimeSpan.FromSeconds(5)), "opentracker did not start listening");
            using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("data"), folder.Path, Ct);

            var http = CliRunner.Run(["peers", torrentPath, "--port", "7301", "--timeout", "5"]);
            var udp = CliRunner.Run(["peers", torrentPath, "--port", "7302", "--timeout", "2", "--tracker", $"udp://127.0.0.1:{port}/announce"]);
            using var client = new TrackerClient([[$"udp://127.0.0.1:{port}/announce"]]);
            var scrape = await client.ScrapeAsync(built.Torrent.InfoHash, Ct);

            Assert.Equal(CliRunner.Codes.Ok, http.ExitCode);
            Assert.Contains($"127.0.0.1:{seeder.Port}", http.Stdout.Split('\n'));
            Assert.Equal(CliRunner.Codes.Ok, udp.ExitCode);
            Assert.Contains($"127.0.0.1:{seeder.Port}", udp.Stdout.Split('\n'));
            Assert.Equal(1, scrape.Seeders);
        }
        finally
        {
            ProcessRunner.Stop(tracker);
        }
    }
}
