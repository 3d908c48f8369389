using TorrentLab.Tracker;
using TorrentLab.Wire;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab tracker</c> run as a separate process, then asked by <c>torrentlab peers</c>.</summary>
[Trait("Tier", "Slow")]
public class TrackerCommandTests
{
    [Fact]
    public async Task Tracker_ServesAllowedTorrentsOverHttpAndUdpAndLogsEachAnnounce()
    {
        using var folder = new TempFolder();
        var port = ProcessRunner.FreeTcpAndUdpPort();
        var built = TestTorrents.SingleFile(announce: $"http://127.0.0.1:{port}/announce");
        var allowed = built.WriteTorrent(folder.Path, "allowed.torrent");
        var refused = TestTorrents.SingleFile(announce: $"http://127.0.0.1:{port}/announce", seed: 2).WriteTorrent(folder.Path, "refused.torrent");
        using var tracker = ProcessRunner.Start("dotnet", [CliRunner.CliDll, "tracker", "--port", port.ToString(), "--host", "127.0.0.1", "--allow", allowed]);
        try
        {
            var first = await tracker.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
            Assert.Equal($"tracker listening on http://127.0.0.1:{port}/announce and udp://127.0.0.1:{port}/announce (1 torrent(s) allowed)", first);

            // A seeder that stays (over HTTP), then the peers command over UDP, which leaves when done.
            using (var client = new TrackerClient([[$"http://127.0.0.1:{port}/announce"]]))
                await client.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), 7201, 0, 0, 0, AnnounceEvent.Started),
                    TestContext.Current.CancellationToken);
            var udp = await CliRunner.RunAsync(["peers", allowed, "--port", "7202", "--tracker", $"udp://127.0.0.1:{port}/announce"]);
            var denied = await CliRunner.RunAsync(["peers", refused]);

            Assert.Equal(("127.0.0.1:7201\n", CliRunner.Codes.Ok), (udp.Stdout, udp.ExitCode));
            Assert.Equal(CliRunner.Codes.Tracker, denied.ExitCode);
            Assert.Contains("unknown info_hash", denied.Stderr);
            var log = new string?[3];
            for (var i = 0; i < log.Length; i++) log[i] = await tracker.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            Assert.StartsWith("announce http 127.0.0.1:7201 ", log[0]);
            Assert.StartsWith("announce udp 127.0.0.1:7202 ", log[1]);
            Assert.Contains(" event=started ", log[1]);
            Assert.StartsWith("announce udp 127.0.0.1:7202 ", log[2]);
            Assert.Contains(" event=stopped ", log[2]);

            // Ctrl-C (SIGINT, sent to this process id only) stops it cleanly.
            ProcessRunner.Signal(tracker, "INT");
            Assert.True(tracker.WaitForExit(TimeSpan.FromSeconds(10)), "the tracker did not stop on SIGINT");
            Assert.Equal(CliRunner.Codes.Ok, tracker.ExitCode);
            Assert.Contains("tracker stopped", await tracker.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            ProcessRunner.Stop(tracker);
        }
    }

    [Fact]
    public async Task Tracker_MaxTorrentsPerAddress_RefusesTheTorrentPastTheShare()
    {
        var port = ProcessRunner.FreeTcpAndUdpPort();
        var ct = TestContext.Current.CancellationToken;
        using var tracker = ProcessRunner.Start("dotnet", [CliRunner.CliDll, "tracker", "--port", port.ToString(), "--max-torrents-per-address", "1", "--quiet"]);
        try
        {
            await tracker.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), ct);
            using var client = new TrackerClient([[$"udp://127.0.0.1:{port}/announce"]]);
            await client.AnnounceAsync(new AnnounceRequest(TestTorrents.SingleFile(seed: 1).Torrent.InfoHash, PeerId.CreateOurs(), 7201, 0, 0, 0, AnnounceEvent.Started), ct);

            var refused = await Assert.ThrowsAsync<TrackerException>(() =>
                client.AnnounceAsync(new AnnounceRequest(TestTorrents.SingleFile(seed: 2).Torrent.InfoHash, PeerId.CreateOurs(), 7201, 0, 0, 0, AnnounceEvent.Started), ct));

            Assert.StartsWith("127.0.0.1 has started 1 torrents", refused.FailureReason, StringComparison.Ordinal);
        }
        finally
        {
            ProcessRunner.Stop(tracker);
        }
    }
}
