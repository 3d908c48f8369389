using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Tracker.Host;

/// <summary><c>torrentlab-tracker</c>, the tracker alone, run as a separate process (the JIT build beside the tests;
/// the release build is the same code compiled ahead of time).</summary>
[Trait("Tier", "Slow")]
public class TrackerHostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The built executable's assembly beside the tests (the project is referenced, so it is copied here).</summary>
    private static string HostDll => Path.Combine(AppContext.BaseDirectory, "torrentlab-tracker.dll");

    [Fact]
    public async Task Host_AnswersHttpAndUdpOnOnePort_LogsEachAnnounce_AndStopsOnSigterm()
    {
        using var folder = new TempFolder();
        var port = ProcessRunner.FreeTcpAndUdpPort();
        var built = TestTorrents.SingleFile(announce: $"http://127.0.0.1:{port}/announce");
        var allowed = built.WriteTorrent(folder.Path, "allowed.torrent");
        using var tracker = ProcessRunner.Start("dotnet", [HostDll, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--allow", allowed]);
        try
        {
            var first = await tracker.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            Assert.Equal($"tracker listening on http://127.0.0.1:{port}/announce and udp://127.0.0.1:{port}/announce (1 torrent(s) allowed)", first);

            using (var http = new TrackerClient([[$"http://127.0.0.1:{port}/announce"]]))
                await http.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), 7201, 0, 0, 0, AnnounceEvent.Started), Ct);
            using var udp = new TrackerClient([[$"udp://127.0.0.1:{port}/announce"]]);
            var answer = await udp.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), 7202, 0, 0, 100, AnnounceEvent.Started), Ct);

            Assert.Equal("127.0.0.1:7201", Assert.Single(answer.Peers).ToString());
            Assert.StartsWith("announce http 127.0.0.1:7201 ", await tracker.StandardOutput.ReadLineAsync(Ct));
            Assert.StartsWith("announce udp 127.0.0.1:7202 ", await tracker.StandardOutput.ReadLineAsync(Ct));

            // SIGTERM (sent to this process id only) stops it in order.
            ProcessRunner.Signal(tracker, "TERM");
            Assert.True(tracker.WaitForExit(TimeSpan.FromSeconds(10)), "the tracker did not stop on SIGTERM");
            Assert.Equal(0, tracker.ExitCode);
            Assert.Contains("tracker stopped", await tracker.StandardOutput.ReadToEndAsync(Ct));
        }
        finally
        {
            ProcessRunner.Stop(tracker);
        }
    }

    [Theory]
    [InlineData("--port", "70000")]     // out of range
    [InlineData("--host", "localhost")] // an address, not a name
    [InlineData("--interval")]          // no value
    [InlineData("--verbose")]           // unknown
    [InlineData("--peer-timeout", "30", "--interval", "60")] // peers would be forgotten before they announce again
    [InlineData("--max-torrents-per-address", "0")]           // no torrent at all
    public void Host_BadArguments_IsAUsageErrorThatSaysWhich(params string[] args)
    {
        var run = ProcessRunner.Run("dotnet", [HostDll, .. args], TimeSpan.FromMinutes(1));

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(args[0], run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_MaxTorrentsPerAddress_RefusesTheTorrentPastTheShare()
    {
        var port = ProcessRunner.FreeTcpAndUdpPort();
        var url = $"http://127.0.0.1:{port}/announce";
        using var tracker = ProcessRunner.Start("dotnet", [HostDll, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-torrents-per-address", "1", "--quiet"]);
        try
        {
            await tracker.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            using var client = new TrackerClient([[url]]);
            await client.AnnounceAsync(new AnnounceRequest(TestTorrents.SingleFile(seed: 1).Torrent.InfoHash, PeerId.CreateOurs(), 7201, 0, 0, 0, AnnounceEvent.Started), Ct);

            var refused = await Assert.ThrowsAsync<TrackerException>(() =>
                client.AnnounceAsync(new AnnounceRequest(TestTorrents.SingleFile(seed: 2).Torrent.InfoHash, PeerId.CreateOurs(), 7201, 0, 0, 0, AnnounceEvent.Started), Ct));

            Assert.StartsWith("127.0.0.1 has started 1 torrents", refused.FailureReason, StringComparison.Ordinal);
        }
        finally
        {
            ProcessRunner.Stop(tracker);
        }
    }
}
