using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Host;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Tracker.Host;

/// <summary><c>torrentlab-tracker</c>, the tracker alone, run as a separate process (the JIT build beside the tests;
/// the release build is the same code compiled ahead of time), and in this process, as its program runs it.</summary>
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

    /// <summary>The host in this process, as its program runs it with the console's writers and a token the signals
    /// cancel: help, a usage error, a torrent that cannot be read, and a tracker that answers an announce, logs it and
    /// stops when its token is cancelled.</summary>
    [Fact]
    public async Task Host_InProcess_HelpUsageBadInputAndARunStoppedByItsToken()
    {
        var help = new StringWriter();
        Assert.Equal(0, await TrackerHost.RunAsync(["--help"], help, TextWriter.Null, Ct));
        Assert.Contains("--max-torrents-per-address N", help.ToString(), StringComparison.Ordinal);

        var usage = new StringWriter();
        Assert.Equal(2, await TrackerHost.RunAsync(["--port", "70000"], TextWriter.Null, usage, Ct));
        Assert.StartsWith("error: --port must be between 0 and 65535, got '70000'", usage.ToString(), StringComparison.Ordinal);

        using var folder = new TempFolder();
        var unreadable = new StringWriter();
        Assert.Equal(3, await TrackerHost.RunAsync(["--allow", folder.Combine("missing.torrent")], TextWriter.Null, unreadable, Ct));
        Assert.StartsWith("error: ", unreadable.ToString(), StringComparison.Ordinal);

        var output = new LineWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = TrackerHost.RunAsync(["--port", "0", "--interval", "60"], output, TextWriter.Null, stop.Token);
        Assert.True(await Wait.UntilAsync(() => output.Lines.Any(l => l.StartsWith("tracker listening on ", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), Ct),
            "never listening: " + string.Join('\n', output.Lines));
        var url = Regex.Match(output.Lines.First(), "on (http://[^ ]+/announce) and udp://").Groups[1].Value;
        var built = TestTorrents.SingleFile(announce: url);
        using (var http = new TrackerClient([[url]]))
            await http.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), 7203, 0, 0, 0, AnnounceEvent.Started), Ct);
        Assert.True(await Wait.UntilAsync(() => output.Lines.Any(l => l.StartsWith("announce http 127.0.0.1:7203 ", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), Ct),
            "the announce was not logged: " + string.Join('\n', output.Lines));

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.Equal("tracker stopped", output.Lines.Last());
    }

    /// <summary>A writer that keeps each line, written from any thread (the tracker logs from its own).</summary>
    private sealed class LineWriter : TextWriter
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void WriteLine(string? value) => Lines.Enqueue(value ?? "");
    }
}
