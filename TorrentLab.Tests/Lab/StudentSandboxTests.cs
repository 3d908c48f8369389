using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>A student's program in the sandbox (<see cref="StudentSandbox"/>): what it must not do, it cannot.</summary>
[Trait("Tier", "Slow")]
public class StudentSandboxTests
{
    // The planted program: reads a file beside (not inside) its folder, writes one there, and connects to TEST-NET-1
    // (192.0.2.1, an address for documentation). It connects only after checking that its network namespace has
    // loopback alone: if the sandbox ever failed to confine it, it prints "not confined" and sends nothing.
    private const string Probe = """
        import errno, socket, sys
        def attempt(what, action):
            try:
                action()
                print(what + ": done")
            except OSError as e:
                print(what + ": " + errno.errorcode.get(e.errno, str(e)))
        attempt("read", lambda: open(sys.argv[1]).read())
        attempt("write", lambda: open(sys.argv[2], "w").write("x"))
        interfaces = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
        print("interfaces: " + ",".join(interfaces))
        if interfaces != ["lo"]:
            print("connect: not confined, nothing sent")
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            attempt("connect", lambda: s.connect(("192.0.2.1", 9)))
        """;

    [Fact]
    public async Task SandboxedProgram_CannotReadOutsideItsFolder_NorReachANonLoopbackAddress()
    {
        Interop.RequireExecutable("bwrap");
        var sandbox = StudentSandbox.Find(out var why);
        if (sandbox is null) Interop.Missing(why);
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("alice"));
        Directory.CreateDirectory(temp.Combine("scratch", "home"));
        File.WriteAllText(temp.Combine("alice", "probe.py"), Probe);
        File.WriteAllText(temp.Combine("teacher-secret.txt"), "the answers");
        var program = new StudentProgram([StudentClients.Python(), "probe.py"], temp.Combine("alice"), temp.Combine("scratch", "home"),
            sandbox, temp.Combine("scratch"));

        var run = await program.RunAsync([temp.Combine("teacher-secret.txt"), temp.Combine("planted.txt")], TimeSpan.FromSeconds(60),
            CancellationToken.None, TestContext.Current.CancellationToken);

        // Hidden, not merely unreadable: the folder beside the student's does not exist in the sandbox.
        Assert.Contains("read: ENOENT", run.Stdout);
        // A write outside the scratch folder lands in the sandbox's own temporary folder, never on the teacher's disk.
        Assert.False(File.Exists(temp.Combine("planted.txt")), run.Stdout);
        Assert.Contains("interfaces: lo\n", run.Stdout);
        // No route: the kernel refuses at connect, before any packet exists.
        Assert.Contains("connect: ENETUNREACH", run.Stdout);
    }

    [Fact]
    public async Task SandboxedProgram_WritesItsScratchFolder_AndCannotWriteItsOwnFolder()
    {
        Interop.RequireExecutable("bwrap");
        var sandbox = StudentSandbox.Find(out var why);
        if (sandbox is null) Interop.Missing(why);
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("alice"));
        Directory.CreateDirectory(temp.Combine("scratch", "home"));
        var program = new StudentProgram(["/bin/sh", "-c", "echo ok > \"$1\" && cat \"$1\"; echo x > mine.txt || echo read-only", "sh"],
            temp.Combine("alice"), temp.Combine("scratch", "home"), sandbox, temp.Combine("scratch"));

        var run = await program.RunAsync([temp.Combine("scratch", "out.txt")], TimeSpan.FromSeconds(60), CancellationToken.None,
            TestContext.Current.CancellationToken);

        Assert.StartsWith("ok\n", run.Stdout);
        Assert.Contains("read-only", run.Stdout);
        Assert.Equal("ok\n", File.ReadAllText(temp.Combine("scratch", "out.txt")));
        Assert.False(File.Exists(temp.Combine("alice", "mine.txt")));
    }

    [Fact]
    public async Task SandboxedCheckOfANetworkStage_OutsideAnIsolatedChecker_IsRefused()
    {
        Interop.RequireExecutable("bwrap");
        var sandbox = StudentSandbox.Find(out var why);
        if (sandbox is null) Interop.Missing(why);
        Assert.False(StudentSandbox.CheckerIsolated);

        var error = await Assert.ThrowsAsync<LabException>(() => StudentClients.CheckAsync(StudentClients.Command("good_client.py"),
            new LabCheckOptions { Seed = 1, Stage = "discover-peers", Sandbox = sandbox }));

        Assert.Contains("needs the checker in a network namespace of its own", error.Message);
    }

    /// <summary>Where the machine allows cgroups, the whole run is capped: a program that starts processes in a loop is
    /// refused once the run holds the cap's number, and what it left running is killed when the run ends.</summary>
    [Fact]
    public async Task SandboxedProgram_CannotStartMoreProcessesThanItsCgroupAllows()
    {
        Interop.RequireExecutable("bwrap");
        var sandbox = StudentSandbox.Find(out var why);
        if (sandbox is null) Interop.Missing(why);
        var caps = sandbox!.Cgroups;
        if (caps is null || !caps.Controllers.Contains("pids"))
            Assert.Skip($"no cgroup caps on this machine: {(caps is null ? sandbox.NoCgroups : caps.Missing)}");
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("alice"));
        Directory.CreateDirectory(temp.Combine("scratch", "home"));
        File.WriteAllText(temp.Combine("alice", "spawn.py"), """
            import subprocess
            started, children = 0, []
            try:
                for _ in range(40):
                    children.append(subprocess.Popen(["sleep", "600"]))
                    started += 1
                print("started all 40")
            except OSError as e:
                print("refused after %d: %s" % (started, e.strerror))
            """);
        var program = new StudentProgram([StudentClients.Python(), "spawn.py"], temp.Combine("alice"), temp.Combine("scratch", "home"),
            sandbox.WithCgroups(caps! with { Pids = 12 }), temp.Combine("scratch"));

        var run = await program.RunAsync([], TimeSpan.FromSeconds(60), CancellationToken.None, TestContext.Current.CancellationToken);

        Assert.Contains("refused after", run.Stdout);
        Assert.DoesNotContain("started all 40", run.Stdout);
        Assert.Contains("processes", sandbox.Describe());
    }

    [Fact]
    public void ToolFolders_KeepThePathsFolders_AndTheVersionManagersDotFolderThatHoldsOne()
    {
        string[] hidden = ["/home", "/root", "/tmp"];
        const string path = "/root/.cargo/bin:/root/.pyenv/plugins/pyenv-virtualenv/shims:/root/.pyenv/shims:/usr/local/bin:/usr/bin:"
            + "/home/ann/.local/bin:/home/ann/.nvm/versions/node/v20.1.0/bin:/home/ann/bin:relative/bin:/";

        var folders = StudentSandbox.ToolFolders(path, hidden);

        Assert.Equal(["/root/.cargo", "/root/.rustup", "/root/.pyenv", "/usr/local/bin", "/usr/bin", "/home/ann/.local/bin", "/home/ann/.nvm", "/home/ann/bin"], folders);
    }

    /// <summary>The README's lab line on a machine whose <c>python3</c> is a version manager's shim in the teacher's home
    /// (pyenv: a script that runs <c>~/.pyenv/libexec/pyenv</c>, which runs a Python under <c>~/.pyenv/versions</c>): the
    /// sandbox hides homes, yet the program runs, since the manager's folder holding a PATH entry stays visible.</summary>
    [Fact]
    public void AnInterpreterBehindAVersionManagersShim_InAHiddenHome_RunsInTheSandbox()
    {
        Interop.RequireExecutable("bwrap");
        if (StudentSandbox.Find(out var why) is null) Interop.Missing(why);
        using var temp = new TempFolder();   // under the temporary folder, which the sandbox hides as it hides homes
        var manager = Directory.CreateDirectory(temp.Combine("teacher", ".fakeenv")).FullName;
        Directory.CreateDirectory(Path.Combine(manager, "shims"));
        Directory.CreateDirectory(Path.Combine(manager, "libexec"));
        File.WriteAllText(Path.Combine(manager, "shims", "fakepython"), $"#!/bin/sh\nexec '{manager}/libexec/run' \"$@\"\n");
        File.WriteAllText(Path.Combine(manager, "libexec", "run"), $"#!/bin/sh\nexec '{StudentClients.Python()}' \"$@\"\n");
        foreach (var script in new[] { "shims/fakepython", "libexec/run" })
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(Path.Combine(manager, script), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string> { ["PATH"] = $"{manager}/shims:{Environment.GetEnvironmentVariable("PATH")}" };

        var result = ProcessRunner.Run("dotnet", [CliRunner.CliDll, "lab", "check", "--stage", "bencode-strings", "--sandbox", "--",
            "fakepython", TestPaths.Fixture("students", "good_client.py")], TimeSpan.FromSeconds(180), environment: environment);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stdout + result.Stderr);
        Assert.Contains("PASS  bencode-strings", result.Stdout);
    }
}
