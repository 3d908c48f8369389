using System.Diagnostics;
using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

[Trait("Tier", "Slow")]
public class StudentProgramTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_AppendsTheStageArgumentsAndCapturesOutput()
    {
        var program = new StudentProgram([StudentClients.Python(), "-c", "import sys; print(sys.argv[1:]); sys.exit(3)"]);

        var run = await program.RunAsync(["decode", "5:hello"], TimeSpan.FromSeconds(10), CancellationToken.None, Ct);

        Assert.Equal("['decode', '5:hello']\n", run.Stdout);
        Assert.Equal(3, run.ExitCode);
        Assert.False(run.TimedOut);
        Assert.Contains("decode 5:hello", run.CommandLine);
    }

    [Fact]
    public async Task RunAsync_GivesTheProgramACleanUtf8Environment_NotTheTeachers()
    {
        using var temp = new Infrastructure.TempFolder();
        // A variable only the teacher's environment has (a token, say): a unique name, so no other test sees it.
        Environment.SetEnvironmentVariable("TORRENTLAB_TEACHER_ONLY_54", "secret");
        var program = new StudentProgram([StudentClients.Python(), "-c",
            "import os, sys; print(os.environ.get('LANG'), os.environ.get('LC_ALL'), os.environ.get('HOME'), " +
            "os.environ.get('TORRENTLAB_TEACHER_ONLY_54'), sys.getfilesystemencoding(), sys.argv[1])"], home: temp.Path);

        var run = await program.RunAsync(["h\u00e9"], TimeSpan.FromSeconds(30), CancellationToken.None, Ct);
        Environment.SetEnvironmentVariable("TORRENTLAB_TEACHER_ONLY_54", null);

        Assert.Equal($"C.UTF-8 C.UTF-8 {temp.Path} None utf-8 h\u00e9\n", run.Stdout);
    }

    [Fact]
    public async Task RunAsync_LoadDuringTheRun_StretchesItsLimit()
    {
        // Two seconds of work against a limit of one and a half: killed on a steady machine; finished when the pace says
        // the machine is four times slower than at the start (the limit becomes six seconds).
        var program = new StudentProgram(["sh", "-c", "sleep 2; echo done"]);

        var steady = await program.RunAsync([], TimeSpan.FromSeconds(1.5), CancellationToken.None, Ct);
        var loaded = await program.RunAsync([], TimeSpan.FromSeconds(1.5), CancellationToken.None, Ct, LabPace.Fixed(LabPace.MaxStretch));

        Assert.True(steady.TimedOut);
        Assert.False(loaded.TimedOut, loaded.Outcome);
        Assert.Equal("done\n", loaded.Stdout);
        Assert.Equal(LabPace.MaxStretch, loaded.Slowdown);
        Assert.Equal(TimeSpan.FromSeconds(6), loaded.Limit);
    }

    [Fact]
    public async Task RunAsync_RelativeProgramPath_IsFoundFromTheWorkingDirectory()
    {
        using var temp = new Infrastructure.TempFolder();
        Directory.CreateDirectory(temp.Combine("alice"));
        File.WriteAllText(temp.Combine("alice", "client.sh"), "#!/bin/sh\necho \"alice $1\"\n");
        if (OperatingSystem.IsWindows()) Assert.Skip("the script is a POSIX shell script");
        else File.SetUnixFileMode(temp.Combine("alice", "client.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var program = new StudentProgram(["./alice/client.sh"], temp.Path);

        var run = await program.RunAsync(["decode"], TimeSpan.FromSeconds(10), CancellationToken.None, Ct);

        Assert.Equal("alice decode\n", run.Stdout);
    }

    [Fact]
    public async Task RunAsync_PastTheTimeLimit_KillsTheWholeProcessTree()
    {
        // The program starts a child that would outlive it; both must be gone after the time limit.
        const string script = "import subprocess, sys, time\n" +
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n" +
            "print(child.pid, flush=True)\ntime.sleep(60)";
        var program = new StudentProgram([StudentClients.Python(), "-c", script]);

        var run = await program.RunAsync([], TimeSpan.FromSeconds(2), CancellationToken.None, Ct);

        Assert.True(run.TimedOut);
        Assert.Equal(-1, run.ExitCode);
        Assert.Contains("time limit", run.Outcome);
        var childPid = int.Parse(run.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(HasExited(childPid), $"child {childPid} still runs");
    }

    [Fact]
    public async Task RunAsync_ExitedWhileAChildKeepsItsOutputOpen_KeepsWhatItPrinted()
    {
        // The program prints its answer and exits 0, but leaves a child holding the output pipe: the pipe never ends
        // within the grace, and the answer printed before the exit is still the run's output.
        const string script = "import subprocess, sys\n" +
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(20)'])\n" +
            "print('Pieces Root: 00', flush=True)\nprint(child.pid, file=sys.stderr, flush=True)";
        var program = new StudentProgram([StudentClients.Python(), "-c", script]);

        var run = await program.RunAsync([], TimeSpan.FromSeconds(30), CancellationToken.None, Ct);
        var childPid = int.Parse(run.Stderr.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Process.GetProcessById(childPid).Kill();

        Assert.Equal("Pieces Root: 00\n", run.Stdout);
        Assert.Equal(0, run.ExitCode);
        Assert.False(run.TimedOut);
    }

    [Fact]
    public async Task RunAsync_StopEarly_EndsTheRunAndSaysWhy()
    {
        var program = new StudentProgram([StudentClients.Python(), "-c", "import time; time.sleep(60)"]);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var run = await program.RunAsync([], TimeSpan.FromSeconds(30), stop.Token, Ct);

        Assert.True(run.StoppedEarly);
        Assert.False(run.TimedOut);
        Assert.False(run.Succeeded);
    }

    [Fact]
    public async Task RunAsync_ProgramThatDoesNotExist_IsALabError()
    {
        var program = new StudentProgram(["./no-such-program-here"]);

        var e = await Assert.ThrowsAsync<LabException>(() => program.RunAsync(["decode", "i1e"], TimeSpan.FromSeconds(5), CancellationToken.None, Ct));
        Assert.Contains("could not start", e.Message);
    }

    [Fact]
    public void Constructor_EmptyCommand_IsAnArgumentError() =>
        Assert.Throws<ArgumentException>(() => new StudentProgram([]));

    private static bool HasExited(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.WaitForExit(5000);
        }
        catch (ArgumentException)
        {
            return true; // no such process any more
        }
    }
}
