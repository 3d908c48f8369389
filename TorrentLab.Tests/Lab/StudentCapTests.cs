using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>Every limit the checker puts on a run is named as itself (<see cref="StudentRun.Stop"/>,
/// <see cref="StudentRun.CapHint"/>), never as an exit code: the time limit, the memory cap, the process cap and the disk
/// cap, each driven by a program that meets it. No test waits on the clock: each run ends when its program meets its cap.</summary>
[Trait("Tier", "Slow")]
public class StudentCapTests
{
    private static StudentSandbox Sandbox()
    {
        Interop.RequireExecutable("bwrap");
        var sandbox = StudentSandbox.Find(out var why);
        if (sandbox is null) Interop.Missing(why);
        return sandbox!;
    }

    private static StudentCgroups Caps(StudentSandbox sandbox, string controller)
    {
        var caps = sandbox.Cgroups;
        if (caps is null || !caps.Controllers.Contains(controller))
            Assert.Skip($"no {controller} cgroup cap on this machine: {(caps is null ? sandbox.NoCgroups : caps.Missing)}");
        return caps!;
    }

    private static async Task<StudentRun> RunAsync(StudentSandbox sandbox, string script, TimeSpan limit)
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("alice"));
        Directory.CreateDirectory(temp.Combine("scratch", "home"));
        File.WriteAllText(temp.Combine("alice", "client.py"), script);
        var program = new StudentProgram([StudentClients.Python(), "client.py"], temp.Combine("alice"), temp.Combine("scratch", "home"),
            sandbox, temp.Combine("scratch"));
        return await program.RunAsync([], limit, CancellationToken.None, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ARunPastItsTimeLimit_IsNamedTheTimeLimit()
    {
        // A limit far below any start of python3: the checker's own timer ends the run, whatever the machine's load.
        var run = await RunAsync(Sandbox(), "import time\ntime.sleep(600)\n", TimeSpan.FromMilliseconds(1));

        Assert.True(run.TimedOut);
        Assert.StartsWith("time limit: killed after", run.Stop);
        Assert.DoesNotContain("137", run.Outcome);
    }

    [Fact]
    public async Task ARunOverItsMemoryCap_IsNamedTheMemoryLimit()
    {
        var sandbox = Sandbox();
        var caps = Caps(sandbox, "memory") with { MemoryBytes = 64L << 20 };
        // 1 MiB at a time, each touched, to 1 GiB: the kernel kills it at 64 MiB.
        const string script = "blocks = []\nfor _ in range(1024):\n    blocks.append(b'x' * (1 << 20))\nprint('all allocated')\n";

        var run = await RunAsync(sandbox.WithCgroups(caps), script, TimeSpan.FromSeconds(300));

        Assert.Equal(StudentCap.Memory, run.Cap);
        Assert.StartsWith("memory limit: killed by the kernel, the run went over 64 MiB", run.Stop);
        Assert.DoesNotContain("137", run.Outcome);
        Assert.Contains("more memory than the sandbox allows", run.CapHint);
    }

    [Fact]
    public async Task ARunPastItsProcessCap_IsNamedTheProcessCap()
    {
        var sandbox = Sandbox();
        var caps = Caps(sandbox, "pids") with { Pids = 12 };
        const string script = """
            import subprocess, sys
            children = []
            try:
                for _ in range(40):
                    children.append(subprocess.Popen(["sleep", "600"]))
            except OSError as e:
                print("refused: " + e.strerror)
                sys.exit(1)
            """;

        var run = await RunAsync(sandbox.WithCgroups(caps), script, TimeSpan.FromSeconds(300));

        Assert.Equal(StudentCap.Processes, run.Cap);
        Assert.StartsWith("process cap: a new process or thread was refused, the run already had 12", run.Stop);
        Assert.Equal(run.Stop, run.Outcome);
    }

    [Fact]
    public async Task ARunThatFillsItsTmp_IsNamedTheDiskCap()
    {
        // 1 MiB of /tmp, a program that writes 8: without cgroups too, the tmpfs's size holds.
        var sandbox = Sandbox().WithCgroups(null).WithTmpBytes(1L << 20);
        const string script = """
            import sys
            try:
                with open("/tmp/big", "wb") as f:
                    for _ in range(8):
                        f.write(b"x" * (1 << 20))
                        f.flush()
            except OSError as e:
                print("write failed: " + e.strerror)
                sys.exit(1)
            """;

        var run = await RunAsync(sandbox, script, TimeSpan.FromSeconds(300));

        Assert.Contains("write failed: No space left on device", run.Stdout);
        Assert.Equal(StudentCap.Disk, run.Cap);
        Assert.Equal("disk cap: /tmp (1 MiB) is full", run.Stop);
        Assert.Contains("your program filled /tmp (1 MiB)", run.CapHint);
    }

    [Fact]
    public async Task ARunPastItsCpuSeconds_IsNamedTheCpuLimit()
    {
        var sandbox = Sandbox();
        if (!sandbox.HasProcessLimits) Interop.Missing("prlimit (util-linux) is not installed: no CPU limit per process");
        // One second of CPU, a loop that never ends: the kernel's SIGXCPU ends it, long before the time limit.
        var run = await RunAsync(sandbox.WithCgroups(null).WithCpuSeconds(1), "while True:\n    pass\n", TimeSpan.FromSeconds(300));

        Assert.False(run.TimedOut);
        Assert.Equal(StudentCap.Cpu, run.Cap);
        Assert.Equal("CPU limit: killed after 1 s of CPU in one process", run.Stop);
        Assert.Contains("busy loop", run.CapHint);
    }

    /// <summary>In the report, a cap is its own STOPPED line and its own hint, not the stage's guess from the output.</summary>
    [Fact]
    public async Task ACheckWhoseRunMeetsACap_SaysSoOnItsOwnLine()
    {
        var sandbox = Sandbox().WithCgroups(null).WithTmpBytes(1L << 20);
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("client.py"), "import sys\nopen('/tmp/big', 'wb').write(b'x' * (8 << 20))\n");

        var (results, report) = await StudentClients.CheckAsync([StudentClients.Python(), temp.Combine("client.py")],
            new LabCheckOptions { Seed = 1, Stage = "bencode-strings", Sandbox = sandbox, Startup = TimeSpan.FromSeconds(2) });

        Assert.False(results[0].Result.Passed);
        Assert.Contains("STOPPED:   disk cap: /tmp (1 MiB) is full", report);
        Assert.Contains("HINT:      your program filled /tmp (1 MiB)", report);
        Assert.DoesNotContain("does it implement", report);
        Assert.DoesNotContain("exit code 137", report);
        Assert.Contains("\"stopped\":\"disk cap: /tmp (1 MiB) is full\"", LabJsonReport.StageLine("client.py", LabTiming.None, results[0].Stage, results[0].Result));
    }
}
