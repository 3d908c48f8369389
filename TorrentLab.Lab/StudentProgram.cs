using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace TorrentLab.Lab;

/// <summary>The student's program: any command line (<c>python3 my_client.py</c>, <c>./your_program.sh</c>) to which
/// each stage appends its arguments (<c>decode 5:hello</c>). Runs it with a time limit and kills its whole process
/// tree when the limit passes.</summary>
/// <remarks>The program runs in a clean environment of its own (<see cref="CleanEnvironment"/>), never the teacher's: a
/// fixed UTF-8 locale, so a JVM or any other runtime decodes its arguments and prints its output as UTF-8 whatever the
/// machine's <c>LANG</c>; the <c>PATH</c> to find its interpreter; a <c>HOME</c> of its own; and nothing else.</remarks>
public sealed class StudentProgram
{
    private const int MaxCapturedChars = 1 << 20; // 1 Mi characters of output is far more than any stage prints

    private readonly IReadOnlyList<string> _command;

    /// <param name="command">The program and its leading arguments; at least the program.</param>
    /// <param name="workingDirectory">Where it runs (relative program paths resolve from here).</param>
    /// <param name="home">The program's <c>HOME</c>: a folder of its own (the checker gives each run one in its scratch
    /// folder); null: the system's temporary folder, never the teacher's home.</param>
    /// <param name="sandbox">Confines every run (<see cref="StudentSandbox"/>); null runs it as the teacher.</param>
    /// <param name="scratch">The folder a sandboxed run may write (it holds <paramref name="home"/>).</param>
    public StudentProgram(IReadOnlyList<string> command, string? workingDirectory = null, string? home = null,
        StudentSandbox? sandbox = null, string? scratch = null)
    {
        if (command.Count == 0 || string.IsNullOrWhiteSpace(command[0]))
            throw new ArgumentException("the command to check is empty: give it after '--', e.g. -- python3 my_client.py", nameof(command));
        if (sandbox is not null && scratch is null) throw new ArgumentException("a sandboxed program needs a scratch folder to write", nameof(scratch));
        _command = command;
        WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory;
        Home = home ?? Path.GetTempPath();
        Sandbox = sandbox;
        Scratch = scratch;
    }

    /// <summary>The sandbox every run goes into, or null.</summary>
    public StudentSandbox? Sandbox { get; }

    /// <summary>The one folder a sandboxed run may write.</summary>
    public string? Scratch { get; }

    public string WorkingDirectory { get; }

    /// <summary>The <c>HOME</c> the program runs with.</summary>
    public string Home { get; }

    /// <summary>The same program with <paramref name="home"/> as its <c>HOME</c>.</summary>
    public StudentProgram WithHome(string home) => new(_command, WorkingDirectory, home, Sandbox, Scratch);

    /// <summary>The same program confined by <paramref name="sandbox"/>, writing only to <paramref name="scratch"/>.</summary>
    public StudentProgram InSandbox(StudentSandbox sandbox, string scratch) => new(_command, WorkingDirectory, Home, sandbox, scratch);

    /// <summary>The only variables of the teacher's environment a program gets: where to find its interpreter or runtime.
    /// Everything else (tokens, proxies, the teacher's locale and paths) stays out.</summary>
    private static readonly string[] Inherited = ["PATH", "DOTNET_ROOT", "JAVA_HOME", "GOROOT"];

    /// <summary>Where rustup keeps its toolchains: the teacher's <c>RUSTUP_HOME</c>, else the <c>.rustup</c> beside a
    /// <c>.cargo/bin</c> on the PATH (rustup's default, in the teacher's home); null when neither is there. A program's
    /// own <c>HOME</c> holds no toolchain, and rustup's <c>cargo</c> would find none ("could not choose a version").</summary>
    internal static string? RustupHome()
    {
        if (Environment.GetEnvironmentVariable("RUSTUP_HOME") is { Length: > 0 } set) return set;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (folder.TrimEnd('/').EndsWith("/.cargo/bin", StringComparison.Ordinal)
                && Path.Combine(folder.TrimEnd('/')[..^"/.cargo/bin".Length], ".rustup") is var rustup && Directory.Exists(rustup))
                return rustup;
        return null;
    }

    /// <summary>The environment every run gets: <c>LANG</c> and <c>LC_ALL</c> set to <c>C.UTF-8</c> (the locale every
    /// glibc system has, so arguments and output are UTF-8 in every language), <c>HOME</c> and <c>TMPDIR</c>, the
    /// <see cref="Inherited"/> variables when the teacher's environment has them, and <c>RUSTUP_HOME</c>
    /// (<see cref="RustupHome"/>).</summary>
    public IReadOnlyDictionary<string, string> CleanEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LANG"] = "C.UTF-8",
            ["LC_ALL"] = "C.UTF-8",
            ["HOME"] = Home,
            ["TMPDIR"] = Path.GetTempPath().TrimEnd('/') is { Length: > 0 } tmp ? tmp : "/tmp",
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        };
        foreach (var name in Inherited)
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value) environment[name] = value;
        if (RustupHome() is { } rustup) environment["RUSTUP_HOME"] = rustup; // its cargo's registry stays in the program's HOME
        return environment;
    }

    /// <summary>The command as given, for the report.</summary>
    public string Display => string.Join(' ', _command.Select(Quote));

    /// <summary>Runs the program with <paramref name="args"/> appended. Never throws for what the program does
    /// (crash, garbage, hang): that is the verdict's business.</summary>
    /// <param name="args">The stage's arguments, e.g. <c>decode 5:hello</c>.</param>
    /// <param name="timeLimit">Kill the process tree after this long (<see cref="StudentRun.TimedOut"/>).</param>
    /// <param name="stopEarly">Kill it when this is cancelled (<see cref="StudentRun.StoppedEarly"/>): the checker
    /// already has the evidence of the mistake and need not wait for the time limit.</param>
    /// <param name="ct">Stops the run (Ctrl-C); throws <see cref="OperationCanceledException"/> after killing it.</param>
    /// <exception cref="LabException">The program cannot be started at all (not found, not executable).</exception>
    /// <param name="pace">Stretches <paramref name="timeLimit"/> by the slowdown measured during the run (at most
    /// <see cref="LabPace.MaxStretch"/> times): load that came after the start-up measurement does not make a timeout.</param>
    public async Task<StudentRun> RunAsync(IReadOnlyList<string> args, TimeSpan timeLimit, CancellationToken stopEarly = default,
        CancellationToken ct = default, LabPace? pace = null)
    {
        pace ??= LabPace.Steady;
        // A relative path such as ./client is the student's, from the working directory; .NET would resolve it from ours.
        var file = _command[0].Contains('/') && !Path.IsPathRooted(_command[0]) ? Path.GetFullPath(_command[0], WorkingDirectory) : _command[0];
        IEnumerable<string> arguments = _command.Skip(1).Concat(args);
        using var cgroups = Sandbox?.Cgroups?.Create();   // the whole run's caps; whatever is left of it is killed on the way out
        if (Sandbox is not null)
        {
            // In the sandbox a missing program is bubblewrap's exit code, not an exception: say "cannot start" here, as unconfined.
            var found = file.Contains('/') ? File.Exists(file) : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, file)));
            if (!found) throw new LabException($"could not start '{_command[0]}' in {WorkingDirectory}: no such file");
            (file, var wrapped) = Sandbox.Wrap(file, arguments, WorkingDirectory, Scratch!, _command.SelectMany(w => w.Split(':')).Where(w => w.Length > 0), cgroups,
                Directory.Exists(Home) ? Home : null);
            arguments = wrapped;
        }
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in arguments) info.ArgumentList.Add(arg);
        info.Environment.Clear();
        foreach (var (name, value) in CleanEnvironment()) info.Environment[name] = value;
        var commandLine = string.Join(' ', _command.Concat(args).Select(Quote));

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new LabException($"could not start '{_command[0]}'");
        }
        catch (Win32Exception e)
        {
            throw new LabException($"could not start '{_command[0]}' in {WorkingDirectory}: {e.Message}");
        }
        using (process)
        {
            var clock = Stopwatch.StartNew();
            var started = Stopwatch.GetTimestamp();
            process.StandardInput.Close(); // nothing to read: a program waiting for input sees end of file at once
            var stdout = new OutputCapture(process.StandardOutput);
            var stderr = new OutputCapture(process.StandardError);
            var timedOut = false;
            var stopped = false;
            var limitNow = timeLimit;
            var slowdown = 1.0;
            while (true)
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct, stopEarly);
                limit.CancelAfter(limitNow - clock.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
                try
                {
                    await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                    break;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested && !stopEarly.IsCancellationRequested)
                {
                    // At the limit: if the machine got slower during the run, the limit follows it (once per slowdown seen).
                    slowdown = Math.Min(LabPace.MaxStretch, pace.SlowdownSince(started));
                    var stretched = timeLimit * slowdown;
                    if (stretched > clock.Elapsed + TimeSpan.FromMilliseconds(50))
                    {
                        limitNow = stretched;
                        continue;
                    }
                    Kill(process);
                    timedOut = true;
                    break;
                }
                catch (OperationCanceledException)
                {
                    Kill(process);
                    ct.ThrowIfCancellationRequested();
                    stopped = true;
                    break;
                }
            }
            // Output pipes close when the whole tree is gone; a grandchild that kept them open is bounded here, and
            // what was read until then is the run's output.
            var both = Task.WhenAll(stdout.Completion, stderr.Completion);
            if (await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false) != both)
                Kill(process);
            var exitCode = timedOut || stopped ? -1 : process.ExitCode;
            var (cap, detail) = timedOut || stopped ? (StudentCap.None, "") : CapMet(exitCode, stderr.Text, cgroups);
            return new StudentRun(commandLine, exitCode, stdout.Text, stderr.Text, timedOut, stopped, clock.Elapsed)
                { Limit = limitNow, Slowdown = slowdown, Cap = cap, CapDetail = detail };
        }
    }

    /// <summary>Which of the sandbox's caps a run that ended by itself met: the cgroups' events (a memory kill, a refused
    /// process), the sandbox shell's word on a full writable place, or SIGXCPU from the CPU limit.</summary>
    private (StudentCap, string) CapMet(int exitCode, string stderr, StudentCgroups.Run? cgroups)
    {
        if (Sandbox is not { } sandbox) return (StudentCap.None, "");
        var (memory, processes) = cgroups?.Events() ?? (false, false);
        if (memory) return (StudentCap.Memory, $"{sandbox.Cgroups!.MemoryBytes >> 20} MiB for the whole run");
        if (processes) return (StudentCap.Processes, $"{sandbox.Cgroups!.Pids} processes and threads");
        var full = stderr.Split('\n').Where(l => l.StartsWith(StudentSandbox.FullMarker, StringComparison.Ordinal))
            .Select(l => l[StudentSandbox.FullMarker.Length..].Trim()).Distinct().ToList();
        if (full.Count > 0)
            return (StudentCap.Disk, string.Join(" and ", full.Select(place => place == SandboxPaths.Real(Path.GetFullPath(Scratch!), 0)
                ? $"its scratch folder {place} ({(StudentSandbox.ScratchCap is { } size ? $"a tmpfs of {size >> 20} MiB" : "on the host's disk")})"
                : $"{place} ({sandbox.TmpBytes >> 20} MiB)")));
        // 128 + 24: SIGXCPU, the signal of RLIMIT_CPU's soft limit (the hard one, a few seconds later, is SIGKILL).
        if (exitCode == 152 && sandbox.HasProcessLimits) return (StudentCap.Cpu, $"{sandbox.CpuSeconds} s");
        return (StudentCap.None, "");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill: nothing left to stop.
        }
        process.WaitForExit(5000);
    }

    /// <summary>Reads one output pipe to its end on a thread of its own, so that a busy thread pool never delays it:
    /// a program that has exited is judged on everything it printed.</summary>
    private sealed class OutputCapture
    {
        private readonly StringBuilder _text = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public OutputCapture(StreamReader reader)
        {
            var thread = new Thread(() => Read(reader)) { IsBackground = true, Name = "student output" };
            thread.Start();
        }

        /// <summary>Completes at the end of the pipe (or when reading it fails).</summary>
        public Task Completion => _done.Task;

        /// <summary>What was read so far: all of it once <see cref="Completion"/> is done.</summary>
        public string Text
        {
            get
            {
                lock (_text) return _text.ToString();
            }
        }

        private void Read(StreamReader reader)
        {
            var buffer = new char[8192];
            try
            {
                int n;
                while ((n = reader.Read(buffer)) > 0)
                    lock (_text)
                        if (_text.Length < MaxCapturedChars) _text.Append(buffer, 0, Math.Min(n, MaxCapturedChars - _text.Length));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The pipe broke or the process object was disposed after the grace: what was read stands.
            }
            _done.TrySetResult();
        }
    }

    internal static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@%+,".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
