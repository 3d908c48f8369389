using System.Collections.Concurrent;
using TorrentLab.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Hooks;

/// <summary>The runner of hooks with a real program (a shell script that writes its arguments and environment to a
/// file the test waits for) and a real loopback HTTP server: arguments reach the program as they are, with no shell
/// between; a failure is one log line; at most N run and a bounded queue waits; a program past its time is killed with
/// what it started.</summary>
public class HookRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The kernel's network, under the address rule a session's webhook goes by (TorrentSession.SendAsync).
    private static Task<HttpResponseMessage> Direct(HttpRequestMessage request, CancellationToken ct) =>
        TorrentLab.Client.TorrentUrl.SendAsync(TorrentLab.Network.SystemNetwork.Instance, request, ct);

    private sealed class Log
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public void Add(string line) => Lines.Enqueue(line);
        public Task WaitForAsync(string part) => Wait.UntilAsync(() => Lines.Any(l => l.Contains(part, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), $"no log line with '{part}'; lines: {string.Join(" | ", Lines)}", Ct);
    }

    [Fact]
    public async Task AHostileName_ReachesTheProgramAsOneArgument_AndNothingRunsIt()
    {
        using var program = new FakeHookProgram();
        var log = new Log();
        await using var runner = new HookRunner(HookLimits.Default, TimeProvider.System, log.Add, Direct);
        var victim = Path.Combine(program.Folder, "pwned");
        var name = $"x\"; touch '{victim}'; echo \" $(touch '{victim}') `touch '{victim}'` | tee '{victim}' %D";
        var fields = new HookFields("completed", name, "", [], "/srv/dl", "/srv/dl/x", "", 1, 10, "", [], new string('b', 40), null,
            new string('b', 40), 1, 10, DateTimeOffset.UtcNow, null);
        var words = HookCommandLine.Split($"{program.Quoted} \"%N\" %D").Select(w => HookCommandLine.Expand(w, fields.Placeholder)).ToArray();

        Assert.True(runner.TryRun(new HookJob("on-complete hook", words, fields.Environment("4.0.0"))));
        var (args, environment) = await program.FirstRunAsync(Ct);

        Assert.Equal([program.Path, name, "/srv/dl"], args);
        Assert.Equal(name, environment["TR_TORRENT_NAME"]);
        Assert.False(File.Exists(victim));
        Assert.Empty(log.Lines);
    }

    public static TheoryData<string, string, string> Failures => new()
    {
        { "exit 3", "exit 3", "exited with code 3" },
        { "exit 3 with a message", "echo 'no space left' >&2; exit 3", "exited with code 3: no space left" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task AProgramThatFails_IsOneLogLine(string name, string then, string expected)
    {
        _ = name;
        using var program = new FakeHookProgram(then);
        var log = new Log();
        await using var runner = new HookRunner(HookLimits.Default, TimeProvider.System, log.Add, Direct);

        runner.TryRun(new HookJob("on-complete hook for 'webtest'", [program.Path]));
        await program.FirstRunAsync(Ct);
        await log.WaitForAsync(expected);

        var line = Assert.Single(log.Lines);
        Assert.StartsWith("warning: on-complete hook for 'webtest' failed: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProgramNotFound_IsOneLogLine_AndTheNextHookRuns()
    {
        using var program = new FakeHookProgram();
        var log = new Log();
        await using var runner = new HookRunner(HookLimits.Default with { Running = 1 }, TimeProvider.System, log.Add, Direct);

        runner.TryRun(new HookJob("on-added hook for 'a'", ["/nonexistent/torrentlab-hook"]));
        runner.TryRun(new HookJob("on-added hook for 'b'", [program.Path, "b"]));
        await program.FirstRunAsync(Ct);
        await log.WaitForAsync("cannot run /nonexistent/torrentlab-hook");

        Assert.StartsWith("warning: on-added hook for 'a' failed: cannot run /nonexistent/torrentlab-hook", Assert.Single(log.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProgramPastItsTime_IsKilledWithWhatItStarted()
    {
        using var program = new FakeHookProgram("sleep 600 & echo $! > \"$out/child\"; wait");
        var log = new Log();
        var clock = new ManualClock();
        await using var runner = new HookRunner(HookLimits.Default, clock, log.Add, Direct);

        runner.TryRun(new HookJob("on-complete hook for 'slow'", [program.Path]));
        var child = Path.Combine(program.Runs, "child");
        await Wait.UntilAsync(() => File.Exists(child) && File.ReadAllText(child).EndsWith('\n'), TimeSpan.FromSeconds(60), "the program never started its child", Ct);
        var pid = int.Parse(File.ReadAllText(child).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(FakeHookProgram.Alive(pid));
        // The program may write its child's id before the runner has started its time limit on the clock: advanced
        // until the limit is past, whenever it was started.
        await Wait.UntilAsync(() =>
        {
            clock.Advance(HookLimits.Default.ProgramTimeout);
            return log.Lines.Any(l => l.Contains("killed with every process it started", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(60), $"no kill line; lines: {string.Join(" | ", log.Lines)}", Ct);

        await Wait.UntilAsync(() => !FakeHookProgram.Alive(pid), TimeSpan.FromSeconds(30), $"its child {pid} still runs", Ct);
        Assert.Single(log.Lines);
    }

    [Fact]
    public async Task AtMostNRun_TheQueueIsBounded_AndAHookPastItIsDroppedWithALogLine()
    {
        using var program = new FakeHookProgram("exec sleep 600");
        var log = new Log();
        var runner = new HookRunner(new HookLimits(Running: 1, Queued: 1, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30)), TimeProvider.System, log.Add, Direct);
        try
        {
            Assert.True(runner.TryRun(new HookJob("hook 1", [program.Path, "1"])));
            await program.FirstRunAsync(Ct); // running: the one slot is taken
            Assert.True(runner.TryRun(new HookJob("hook 2", [program.Path, "2"]))); // waits
            Assert.False(runner.TryRun(new HookJob("hook 3", [program.Path, "3"]))); // the queue is full

            Assert.Equal("warning: hook 3 dropped: 1 hooks are waiting already", Assert.Single(log.Lines));
            Assert.Single(program.All()); // hook 2 waits for the slot
        }
        finally
        {
            await runner.DisposeAsync(); // the sleeping program is killed as the runner stops
        }
        Assert.Contains(log.Lines, l => l == "warning: hook 1: killed as the server stops");
    }

    [Fact]
    public async Task AWebhook_PostsTheJson_AndAnHttpErrorOrARefusedConnection_IsOneLogLine()
    {
        using var http = StubHttp.Start();
        http.Given(Request.Create().WithPath("/ok").UsingPost()).RespondWith(Response.Create().WithStatusCode(204));
        http.Given(Request.Create().WithPath("/broken").UsingPost()).RespondWith(Response.Create().WithStatusCode(500));
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now: the connection is refused
        var log = new Log();
        await using var runner = new HookRunner(HookLimits.Default, TimeProvider.System, log.Add, Direct);
        var body = """{"event":"completed"}"""u8.ToArray();

        runner.TryRun(new HookJob("webhook (completed) for 'a'", Url: new Uri(http.Url + "/ok"), Body: body));
        runner.TryRun(new HookJob("webhook (completed) for 'b'", Url: new Uri(http.Url + "/broken"), Body: body));
        runner.TryRun(new HookJob("webhook (completed) for 'c'", Url: new Uri($"http://127.0.0.1:{closedPort}/hook"), Body: body));
        await log.WaitForAsync("for 'b' failed");
        await log.WaitForAsync("for 'c' failed");
        // The hooks run side by side: the one that works says nothing, so its arrival is waited for at the server (a
        // CI run under load looked before it came).
        await Wait.UntilAsync(() => http.LogEntries.Any(e => e.RequestMessage.Path == "/ok"), TimeSpan.FromSeconds(20), "the webhook never arrived", Ct);

        var posted = http.LogEntries.Single(e => e.RequestMessage.Path == "/ok").RequestMessage;
        Assert.Equal("""{"event":"completed"}""", posted.Body);
        Assert.StartsWith("application/json", posted.Headers!["Content-Type"].Single(), StringComparison.Ordinal);
        Assert.Equal(2, log.Lines.Count);
        Assert.Contains(log.Lines, l => l.EndsWith("/broken answered HTTP 500", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWebhookToALinkLocalAddress_IsRefusedBeforeAnyConnection_AsEveryUrlTheServerFetches()
    {
        var log = new Log();
        await using var runner = new HookRunner(HookLimits.Default, TimeProvider.System, log.Add, Direct);

        runner.TryRun(new HookJob("webhook (added) for 'a'", Url: new Uri("http://169.254.169.254/hook"), Body: "{}"u8.ToArray()));
        await log.WaitForAsync("for 'a' failed");

        Assert.Equal("warning: webhook (added) for 'a' failed: 169.254.169.254 is 169.254.169.254 (unspecified, broadcast, multicast or link-local): not fetched",
            Assert.Single(log.Lines));
    }
}
