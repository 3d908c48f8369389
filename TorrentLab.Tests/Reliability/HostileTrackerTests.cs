using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>Hostile trackers against the real CLI: every scripted fault of our tracker over HTTP and UDP, UDP answers
/// from the wrong address or with the wrong transaction id, and a dead first tier. Each run ends with one clear error
/// line and the tracker exit code (or succeeds through another tier), never a hang or a stack trace.</summary>
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class HostileTrackerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The hang guard for each CLI run; the UDP schedule at --timeout 0.3 is 0.3 + 0.6 + 1.2 s.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(90);

    /// <summary>Whether the fault keeps the answer back, so that the client's own timeout is what ends the run: a slow
    /// answer, and over UDP a dropped request. Every other fault answers at once.</summary>
    private static bool WithholdsTheAnswer(TrackerFault fault, string transport) =>
        fault == TrackerFault.SlowAnswer || (transport == "udp" && fault is TrackerFault.Http500 or TrackerFault.DropConnection);

    private static void AssertOneClearTrackerError(ProcessRunner.Result result, string what)
    {
        Assert.True(CliRunner.Codes.Tracker == result.ExitCode, $"{what}: exit {result.ExitCode}, stderr: {result.Stderr}");
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, $"{what}: {lines.Length} stderr lines: {result.Stderr}");
        Assert.StartsWith("error: tracker: ", lines[0]);
        Assert.DoesNotContain("Exception", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task EveryScriptedFault_OverHttpAndUdp_PeersCommandEndsWithOneClearErrorOrAnEmptyList()
    {
        using var folder = new TempFolder("torrentlab-tracker");
        var faults = Enum.GetValues<TrackerFault>().Where(f => f != TrackerFault.None).ToList();
        var cases = new List<(TrackerFault Fault, string Transport, TrackerServer Server)>();
        try
        {
            foreach (var fault in faults)
            foreach (var transport in new[] { "http", "udp" })
            {
                var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
                server.Faults.Always = fault;
                server.Faults.SlowDelay = TimeSpan.FromSeconds(20);   // far longer than the client's short --timeout
                cases.Add((fault, transport, server));
            }
            var torrent = TestTorrents.SingleFile(announce: "http://127.0.0.1:1/announce").WriteTorrent(folder.Path);
            var clock = Stopwatch.StartNew();
            var results = new ProcessRunner.Result[cases.Count];
            // Four CLI processes at a time: a 2-core machine.
            await Parallel.ForEachAsync(Enumerable.Range(0, cases.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct },
                async (i, _) =>
                {
                    var (fault, transport, server) = cases[i];
                    var url = transport == "http" ? server.HttpAnnounceUrl : server.UdpAnnounceUrl;
                    // A fault that keeps the answer back is ended by the client's timeout: HTTP 3 s, UDP 0.3 s per attempt
                    // (the schedule doubles it). A fault that answers gets 60 s, so that a loaded machine's slow start
                    // cannot turn its answer into a timeout (which would pass for the wrong reason, or fail EmptyPeerList).
                    var timeout = !WithholdsTheAnswer(fault, transport) ? "60" : transport == "http" ? "3" : "0.3";
                    results[i] = await CliRunner.RunAsync(["peers", torrent, "--tracker", url, "--timeout", timeout], Guard);
                });

            var survived = 0;
            var lines = new List<string>();
            for (var i = 0; i < cases.Count; i++)
            {
                var (fault, transport, _) = cases[i];
                var what = $"{fault} over {transport}";
                if (fault == TrackerFault.EmptyPeerList)
                    Assert.Equal((CliRunner.Codes.Ok, "", ""), (results[i].ExitCode, results[i].Stdout, results[i].Stderr));
                else
                    AssertOneClearTrackerError(results[i], what);
                if (!WithholdsTheAnswer(fault, transport))
                    Assert.True(!results[i].Stderr.Contains("no answer"),
                        $"{what}: the fault answers at once, yet the client gave up waiting: {results[i].Stderr}");
                survived++;
                lines.Add($"{fault}/{transport}: {results[i].Stderr.Trim().Replace("error: tracker: ", "")}");
            }
            TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", lines));
            ReliabilityReport.Add(new ReliabilityRow("hostile tracker", $"{faults.Count} scripted faults x HTTP and UDP, 'peers' command",
                cases.Count, survived, "none", $"each: exit 5 and one line (EmptyPeerList: exit 0, no peers); all {cases.Count} runs in {clock.Elapsed.TotalSeconds:0.0} s"));
        }
        finally
        {
            foreach (var (_, _, server) in cases) await server.DisposeAsync();
        }
    }

    /// <summary>A UDP "tracker" that answers every datagram wrongly: once with the wrong transaction id from its own
    /// address, once with the right id from another port; optionally then correctly.</summary>
    private static async Task RunStrayUdpTrackerAsync(Socket socket, Socket other, bool thenAnswerRightly, IPEndPoint seeder, CancellationToken ct)
    {
        var buffer = new byte[2048];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
            var from = (IPEndPoint)received.RemoteEndPoint;
            if (!UdpTrackerMessages.TryReadRequestHeader(buffer.AsSpan(0, received.ReceivedBytes), out _, out var action, out var tid)) continue;
            byte[] Answer(int transaction) => action == UdpTrackerMessages.ActionConnect
                ? UdpTrackerMessages.ConnectResponse(transaction, 0x0102_0304_0506)
                : UdpTrackerMessages.AnnounceResponse(transaction, 1800, 0, 1, [seeder], AddressFamily.InterNetwork);
            await socket.SendToAsync(Answer(unchecked(tid + 1)), SocketFlags.None, from, ct);   // wrong transaction id
            await other.SendToAsync(Answer(tid), SocketFlags.None, from, ct);                   // right id, wrong address
            if (thenAnswerRightly) await socket.SendToAsync(Answer(tid), SocketFlags.None, from, ct);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UdpAnswersFromTheWrongAddressOrTransaction_AreIgnored(bool thenAnswerRightly)
    {
        using var folder = new TempFolder("torrentlab-tracker");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var seeder = new IPEndPoint(IPAddress.Loopback, 7777);
        var tracker = Task.Run(() => RunStrayUdpTrackerAsync(socket, other, thenAnswerRightly, seeder, stop.Token), Ct);
        var torrent = TestTorrents.SingleFile(announce: "http://127.0.0.1:1/announce").WriteTorrent(folder.Path);
        var url = $"udp://127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}/announce";

        var result = await CliRunner.RunAsync(["peers", torrent, "--tracker", url, "--timeout", "0.3"], Guard);
        await stop.CancelAsync();
        try { await tracker; } catch (OperationCanceledException) { }

        if (thenAnswerRightly)
        {
            Assert.Equal((CliRunner.Codes.Ok, "127.0.0.1:7777\n"), (result.ExitCode, result.Stdout));
        }
        else
        {
            AssertOneClearTrackerError(result, "stray UDP answers only");
            Assert.Contains("no answer from", result.Stderr);
        }
        ReliabilityReport.Add(new ReliabilityRow("hostile tracker",
            thenAnswerRightly ? "UDP: stray answers (wrong tid, wrong address), then the right one" : "UDP: only stray answers (wrong tid, wrong address)",
            1, 1, "none", thenAnswerRightly ? "strays ignored, right answer used" : $"exit 5: {result.Stderr.Trim()}"));
    }

    [Fact]
    public async Task DeadFirstTier_DownloadSucceedsThroughTheSecondTier_AllTiersDead_OneTrackerError()
    {
        await using var good = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        await using var bad = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        bad.Faults.Always = TrackerFault.Http500;
        using var folder = new TempFolder("torrentlab-tracker");
        var built = TestTorrents.SingleFile(length: 200_000, name: "tiers.bin", announce: bad.HttpAnnounceUrl);
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
        using (var client = new TrackerClient([[good.HttpAnnounceUrl]]))
            await client.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, seeder.PeerId, seeder.EndPoint.Port, 0, 0, 0, AnnounceEvent.Started), Ct);
        // Same info dictionary (same info hash), with BEP 12 tiers: the failing tracker first, ours second.
        var root = BencodeDecoder.DecodeDictionary(built.TorrentBytes);
        root.Set("announce-list", new BList([new BList([new BString(bad.HttpAnnounceUrl)]), new BList([new BString(good.HttpAnnounceUrl)])]));
        var tiered = folder.Combine("tiered.torrent");
        File.WriteAllBytes(tiered, BencodeWriter.Encode(root));
        var deadOnly = built.WriteTorrent(folder.Path, "dead.torrent");

        var ok = await CliRunner.RunAsync([tiered, "-o", folder.Combine("out"), "--quiet", "--max-peers", "1"], Guard);
        var failed = await CliRunner.RunAsync([deadOnly, "-o", folder.Combine("out2"), "--quiet", "--max-peers", "1"], Guard);

        Assert.True(ok.ExitCode == CliRunner.Codes.Ok, ok.Stderr);
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("out", "tiers.bin")));
        AssertOneClearTrackerError(failed, "only a failing tracker");
        ReliabilityReport.Add(new ReliabilityRow("hostile tracker", "download: HTTP 500 on tier 1, good tier 2; then tier 1 alone", 2, 2, "none",
            $"tier 2 used, data identical; alone: exit 5, '{failed.Stderr.Trim()}'"));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task FailureReasonWithEscapesAndAMegabyteOfText_IsPrintedAsOneEscapedShortLine(string transport)
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        server.Faults.Always = TrackerFault.FailureReason;
        // Clears the screen, then forges a line of its own, then a megabyte (UDP: as much as a datagram holds).
        server.Faults.FailureReason = "\u001b[2J\u001b[H\r\nerror: download complete\n" + new string('x', transport == "http" ? 1_000_000 : 60_000);
        using var folder = new TempFolder("torrentlab-tracker");
        var torrent = TestTorrents.SingleFile(announce: "http://127.0.0.1:1/announce").WriteTorrent(folder.Path);
        var url = transport == "http" ? server.HttpAnnounceUrl : server.UdpAnnounceUrl;

        var result = await CliRunner.RunAsync(["peers", torrent, "--tracker", url, "--timeout", "3"], Guard);

        AssertOneClearTrackerError(result, "hostile failure reason");
        Assert.DoesNotContain('\u001b', result.Stderr);
        Assert.DoesNotContain('\r', result.Stderr);
        Assert.Contains("\\e[2J", result.Stderr);
        Assert.True(result.Stderr.Length < 1000, $"{result.Stderr.Length} characters printed");
        ReliabilityReport.Add(new ReliabilityRow("hostile tracker", $"{transport}: failure reason with ESC/CR/LF and a huge text", 1, 1, "none",
            $"one escaped line of {result.Stderr.Length} characters"));
    }
}
