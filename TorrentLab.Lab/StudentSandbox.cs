using System.Diagnostics;
using System.Globalization;

namespace TorrentLab.Lab;

/// <summary>Confines each run of a student's program on Linux with bubblewrap (<c>bwrap</c>): the whole file system
/// read-only, the homes and temporary folders hidden, the program's own folder visible read-only and the check's scratch
/// folder writable, no network but loopback, its own process, IPC and host-name namespaces, and limits on CPU time and
/// memory. Grading a class means running untrusted programs: none of them may read the teacher's files or reach the
/// network.</summary>
/// <remarks>
/// The network: a run gets a namespace of its own with loopback only, unless the checker itself already runs in one
/// (<see cref="CheckerIsolated"/>: <c>torrentlab lab check</c> and <c>lab class</c> start themselves in one), where the
/// run shares it, since the checker's tracker and peers listen on that loopback. A check of a network stage outside such
/// a namespace is refused rather than run with the teacher's network (<see cref="LabChecker"/>).
/// Limits: <c>RLIMIT_CPU</c> and <c>RLIMIT_DATA</c> (private writable memory: runtimes that reserve address space up
/// front, the JVM, .NET, Go, are not counted for their reservations) through <c>prlimit</c>, per process; and where the
/// machine allows cgroups (<see cref="StudentCgroups"/>), memory, processor time and the number of processes of the whole
/// run. Without cgroups the report says so, and a program may start many processes (bounded by the time limit, which
/// kills its whole tree).
/// </remarks>
public sealed class StudentSandbox
{
    /// <summary>The environment variable that marks a checker started in a network namespace of its own.</summary>
    public const string IsolatedVariable = "TORRENTLAB_LAB_NETNS";

    /// <summary>CPU seconds one run may use (every stage's limit is shorter in wall time, so only a runaway meets it).</summary>
    public int CpuSeconds { get; init; } = 600;

    /// <summary>Private writable memory one process of a run may use: 2 GiB, far more than a classroom client needs.</summary>
    public long MemoryBytes { get; init; } = 2L << 30;

    private readonly string _bwrap;
    private readonly string? _prlimit;

    private StudentSandbox(string bwrap, string? prlimit, StudentCgroups? cgroups, string noCgroups)
    {
        _bwrap = bwrap;
        _prlimit = prlimit;
        Cgroups = cgroups;
        NoCgroups = noCgroups;
    }

    /// <summary>The caps on a whole run (memory, CPU, processes) where this machine allows cgroups; null where it does
    /// not, and <see cref="NoCgroups"/> says why.</summary>
    public StudentCgroups? Cgroups { get; }

    /// <summary>Why there are no cgroup caps ("" when there are).</summary>
    public string NoCgroups { get; }

    /// <summary>Whether each process has CPU and memory limits (<c>prlimit</c> was found).</summary>
    internal bool HasProcessLimits => _prlimit is not null;

    /// <summary>The same sandbox with other cgroup caps (tests use small ones).</summary>
    internal StudentSandbox WithCgroups(StudentCgroups? cgroups) =>
        new(_bwrap, _prlimit, cgroups, NoCgroups) { CpuSeconds = CpuSeconds, MemoryBytes = MemoryBytes, TmpBytes = TmpBytes };

    /// <summary>The same sandbox with <paramref name="seconds"/> of CPU per process (tests use a short one).</summary>
    internal StudentSandbox WithCpuSeconds(int seconds) =>
        new(_bwrap, _prlimit, Cgroups, NoCgroups) { CpuSeconds = seconds, MemoryBytes = MemoryBytes, TmpBytes = TmpBytes };

    /// <summary>The same sandbox with its own /tmp, /var/tmp and /dev/shm capped at <paramref name="bytes"/> (tests use small ones).</summary>
    internal StudentSandbox WithTmpBytes(long bytes) =>
        new(_bwrap, _prlimit, Cgroups, NoCgroups) { CpuSeconds = CpuSeconds, MemoryBytes = MemoryBytes, TmpBytes = bytes };

    /// <summary>The sandbox of this machine, or null with <paramref name="why"/> saying why there is none.</summary>
    public static StudentSandbox? Find(out string why)
    {
        why = "";
        if (!OperatingSystem.IsLinux()) { why = "the sandbox needs Linux (bubblewrap)"; return null; }
        var bwrap = OnPath("bwrap");
        if (bwrap is null) { why = "bubblewrap ('bwrap', Debian package bubblewrap) is not installed"; return null; }
        // A probe: user namespaces may be switched off (a container, a kernel setting).
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(bwrap, ["--ro-bind", "/", "/", "--unshare-net", "--", "/bin/true"])
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            })!;
            var error = probe.StandardError.ReadToEndAsync();
            if (!probe.WaitForExit(30_000)) { probe.Kill(true); why = "bubblewrap did not start within 30 s"; return null; }
            if (probe.ExitCode != 0) { why = $"bubblewrap cannot create a sandbox here: {error.Result.Trim()}"; return null; }
        }
        catch (System.ComponentModel.Win32Exception e) { why = $"bubblewrap cannot be started: {e.Message}"; return null; }
        var cgroups = StudentCgroups.Find(out var noCgroups);
        return new StudentSandbox(bwrap, OnPath("prlimit"), cgroups, noCgroups);
    }

    /// <summary>Whether this process runs in a network namespace of its own with loopback only (its interfaces are
    /// read from /proc/net/dev, which shows the reading process's namespace).</summary>
    public static bool CheckerIsolated
    {
        get
        {
            if (Environment.GetEnvironmentVariable(IsolatedVariable) != "1" || !OperatingSystem.IsLinux()) return false;
            try
            {
                var interfaces = File.ReadAllLines("/proc/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).ToList();
                return interfaces.Count > 0 && interfaces.All(i => i == "lo");
            }
            catch (IOException) { return false; }
        }
    }

    /// <summary>The report's line on the sandbox.</summary>
    public string Describe() =>
        $"Sandbox: each run in bubblewrap: {(CheckerIsolated ? "the checker's loopback-only network namespace" : "a network namespace with loopback only")}, " +
        "the file system read-only except its scratch folder, homes and temporary folders hidden wherever the checker starts, its own processes " +
        $"and /proc; its /tmp, /var/tmp and /dev/shm capped at {TmpBytes >> 20} MiB each; " +
        (ScratchCap is { } cap ? $"its scratch folder on a tmpfs capped at {cap >> 20} MiB; " : "its scratch folder on the host's disk, NOT capped (the checker is not in its own namespace); ") +
        (_prlimit is null ? "no CPU or memory limit per process (prlimit not found)" : $"at most {CpuSeconds} s of CPU and {MemoryBytes >> 20} MiB of memory per process") +
        (Cgroups is { } caps ? $"; {caps.Describe()}." : $"; NO cgroup caps on the whole run ({NoCgroups}): the number of processes is not limited.");

    /// <summary>The environment variable that names the capped tmpfs the checker's namespace keeps its scratch folders
    /// on (<c>torrentlab lab check</c> and <c>lab class</c> mount one); unset: the system's temporary folder.</summary>
    public const string ScratchVariable = "TORRENTLAB_LAB_SCRATCH";

    /// <summary>Bytes the capped tmpfs of the checker's scratch folders may hold: 512 MiB, for every run of a check together.</summary>
    public const long ScratchBytes = 512L << 20;

    /// <summary>Where the checker keeps its scratch folders: the capped tmpfs of <see cref="ScratchVariable"/> when this
    /// process runs in a namespace that has one, else the system's temporary folder (on the host's disk, not capped).</summary>
    public static string ScratchParent => ScratchCap is null ? Path.GetTempPath() : Environment.GetEnvironmentVariable(ScratchVariable)!;

    /// <summary>The size of the tmpfs of <see cref="ScratchVariable"/> when it is one (read from /proc/self/mountinfo), else null.</summary>
    public static long? ScratchCap
    {
        get
        {
            if (Environment.GetEnvironmentVariable(ScratchVariable) is not { Length: > 1 } folder || !OperatingSystem.IsLinux()) return null;
            try
            {
                // "36 35 0:31 / /tmp/x rw,relatime shared:1 - tmpfs tmpfs rw,size=524288k": the mount point, then after " - " its type.
                var mount = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).LastOrDefault(f => f.Length > 4 && f[4] == folder.TrimEnd('/'));
                var dash = mount is null ? -1 : Array.IndexOf(mount, "-");
                if (mount is null || dash < 0 || dash + 1 >= mount.Length || mount[dash + 1] != "tmpfs") return null;
                return new DriveInfo(folder).TotalSize;
            }
            catch (IOException) { return null; }
        }
    }

    /// <summary>The command line that runs <paramref name="file"/> <paramref name="args"/> in the sandbox.</summary>
    /// <param name="file">The program, as it would be started unconfined.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="workingDirectory">Where it starts: bound read-only only where <see cref="SandboxPaths"/> allows (never
    /// <c>/</c>, a home, a hidden place or a folder above one).</param>
    /// <param name="writable">The one folder it may write (the check's scratch folder, its HOME inside).</param>
    /// <param name="visible">Paths the command names (its script, a class path): each existing one is visible read-only
    /// (a file with its folder, or alone when its folder is a home), so <c>python3 /class/alice/main.py</c> runs wherever the roster is.</param>
    /// <param name="cgroups">The run's cgroups (<see cref="StudentCgroups.Create"/>), joined before the sandbox starts; null for none.</param>
    /// <param name="home">The program's <c>HOME</c>, writable too when it lies outside <paramref name="writable"/> (a build
    /// writes in the submission's folder and keeps its tools' caches in a home of the scratch folder); null: none apart.</param>
    /// <exception cref="LabException">The writable folder is <c>/</c>, a home or a hidden place itself.</exception>
    public (string File, IReadOnlyList<string> Args) Wrap(string file, IEnumerable<string> args, string workingDirectory, string writable,
        IEnumerable<string> visible, StudentCgroups.Run? cgroups = null, string? home = null)
    {
        var paths = SandboxPaths.Here();
        bool MayWrite(string folder) => folder != "/" && !paths.IsHome(folder) && !paths.Hidden.Contains(folder, StringComparer.Ordinal)
            && !paths.Hidden.Any(h => h.StartsWith(folder + "/", StringComparison.Ordinal));
        writable = SandboxPaths.Real(Path.GetFullPath(writable), 0);
        if (!MayWrite(writable))
            throw new LabException($"the sandbox's scratch folder {writable} would make a home or a hidden folder writable: give it a folder of its own");
        // The home apart only where it may be written, and not already inside the writable folder (the temporary folder
        // itself, the default of a program given none, stays the sandbox's own empty one).
        home = home is null ? null : SandboxPaths.Real(Path.GetFullPath(home), 0) is var h && MayWrite(h) && h != writable
            && !h.StartsWith(writable + "/", StringComparison.Ordinal) ? h : null;
        var command = new List<string>();
        if (_prlimit is not null)
            // CPU: SIGXCPU at the soft limit (named as the CPU limit), SIGKILL 5 s of CPU later for a program that ignores it.
            command.AddRange([_prlimit, $"--cpu={CpuSeconds.ToString(CultureInfo.InvariantCulture)}:{(CpuSeconds + 5).ToString(CultureInfo.InvariantCulture)}", $"--data={MemoryBytes.ToString(CultureInfo.InvariantCulture)}", "--"]);
        command.AddRange([_bwrap, "--ro-bind", "/", "/"]);
        // Hidden: every home (the teacher's included) and the shared temporary folders, where other students' submissions
        // and the teacher's files usually are. Each is an empty tmpfs, capped: the temporary ones writable (TmpBytes each),
        // the others read-only once the binds below have made their mount points.
        var temporary = new[] { "/tmp", "/var/tmp", Path.GetTempPath().TrimEnd('/') };
        foreach (var hidden in paths.Hidden)
            command.AddRange(["--size", (temporary.Contains(hidden) ? TmpBytes : MountPointBytes).ToString(CultureInfo.InvariantCulture), "--tmpfs", hidden]);
        // Visible: only what the program needs, never a home or a place above a hidden one (SandboxPaths): the folder it
        // starts in where that is a student's folder, and the files its command names.
        foreach (var path in paths.Binds(visible.Select(p => Path.GetFullPath(p, workingDirectory)).Prepend(workingDirectory)))
            command.AddRange(["--ro-bind", path, path]);
        // The PATH's folders stay visible (read-only), with the version managers' own folders that hold them.
        foreach (var folder in ToolFolders(Environment.GetEnvironmentVariable("PATH") ?? "", paths.Hidden).Where(Directory.Exists)
                     .Where(f => !paths.IsHome(f) && !paths.Hidden.Any(h => h == f || h.StartsWith(f + "/", StringComparison.Ordinal))))
            command.AddRange(["--ro-bind", folder, folder]);
        command.AddRange(["--bind", writable, writable]);
        if (home is not null) command.AddRange(["--bind", home, home]);
        // Where it starts: inside a hidden place not bound (a home), an empty folder of the same name stands for it.
        if (paths.Hidden.Any(h => workingDirectory.StartsWith(h + "/", StringComparison.Ordinal))) command.AddRange(["--dir", workingDirectory]);
        foreach (var hidden in paths.Hidden.Where(h => !temporary.Contains(h))) command.AddRange(["--remount-ro", hidden]);
        // A fresh /dev (read-only but its capped /dev/shm) and, last, a fresh /proc of the run's own PID namespace: no
        // bind comes after it, so the host's processes are never visible.
        command.AddRange(["--dev", "/dev", "--size", TmpBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]);
        command.AddRange(["--proc", "/proc"]);
        command.AddRange(["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]);
        if (!CheckerIsolated) command.Add("--unshare-net");
        command.AddRange(["--die-with-parent", "--new-session", "--chdir", workingDirectory, "--"]);
        // The program runs under a shell that, once it has ended, says on stderr which writable place is full: a full
        // disk cap is then named as one rather than read as the program's own failure (StudentRun.Limit).
        command.AddRange(["/bin/sh", "-c", FullCheck, "sh", writable, file]);
        command.AddRange(args);
        return cgroups is null ? (command[0], command.Skip(1).ToList()) : cgroups.Wrap(command[0], command.Skip(1));
    }

    /// <summary>The line the sandbox's shell prints on stderr for each writable place left without a free block.</summary>
    internal const string FullMarker = "torrentlab-sandbox: full: ";

    // $1: the scratch folder; then the program. Its exit code is the program's (128 + the signal when one killed it).
    private const string FullCheck = "s=$1; shift; \"$@\"; c=$?; for d in \"$s\" /tmp /var/tmp /dev/shm; do " +
        "[ \"$(stat -f -c %a \"$d\" 2>/dev/null)\" = 0 ] && echo \"" + FullMarker + "$d\" >&2; done; exit $c";

    /// <summary>Bytes the sandbox's own <c>/tmp</c>, <c>/var/tmp</c> and <c>/dev/shm</c> may each hold (tmpfs in memory,
    /// capped by its size whether or not cgroups exist): 256 MiB.</summary>
    public long TmpBytes { get; init; } = 256L << 20;

    // 1 MiB: the hidden homes hold only the mount points of what is bound inside them, and are read-only afterwards.
    private const long MountPointBytes = 1L << 20;

    /// <summary>Folders of the dot-folders in a home that hold the teacher's data, not a toolchain: never made visible whole.</summary>
    private static readonly string[] DataFolders = [".local", ".config", ".cache", ".ssh", ".gnupg", ".aws", ".kube", ".docker", ".mozilla", ".pki"];

    /// <summary>What of <paramref name="path"/> (a PATH value) the sandbox keeps visible, read-only: every folder of it, and
    /// for a folder inside a hidden one (a home) that lies in a dot-folder there, that whole dot-folder, since a version
    /// manager's shim or a runtime reaches the rest of it: <c>~/.pyenv/shims/python3</c> runs <c>~/.pyenv/libexec/pyenv</c>
    /// and a version under <c>~/.pyenv/versions</c>, a JDK in <c>~/.sdkman</c> needs its <c>lib</c>, node in <c>~/.nvm</c>
    /// its modules. Dot-folders of data (<c>.local</c>, <c>.config</c>, <c>.ssh</c>, ...) stay hidden but for the PATH folder
    /// itself. rustup keeps its toolchains in a second folder beside <c>~/.cargo</c>: <c>~/.rustup</c> is kept with it
    /// (the program is told where, <see cref="StudentProgram.RustupHome"/>).</summary>
    internal static IEnumerable<string> ToolFolders(string path, IReadOnlyList<string> hidden)
    {
        var folders = new List<string>();
        foreach (var folder in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Where(p => Path.IsPathRooted(p) && p != "/").Select(p => Path.GetFullPath(p).TrimEnd('/')))
        {
            var visible = folder;
            if (hidden.FirstOrDefault(h => folder.StartsWith(h + "/", StringComparison.Ordinal)) is { } home)
            {
                var parts = folder[(home.Length + 1)..].Split('/');
                var dot = Array.FindIndex(parts, p => p.StartsWith('.') && p.Length > 1);
                if (dot >= 0 && !DataFolders.Contains(parts[dot], StringComparer.Ordinal)) visible = home + "/" + string.Join('/', parts[..(dot + 1)]);
            }
            if (!folders.Contains(visible, StringComparer.Ordinal)) folders.Add(visible);
            if (visible.EndsWith("/.cargo", StringComparison.Ordinal) && visible[..^".cargo".Length] + ".rustup" is var rustup
                && !folders.Contains(rustup, StringComparer.Ordinal))
                folders.Add(rustup);
        }
        // A folder inside another one kept is visible with it (a second bind below it would change nothing).
        return folders.Where(f => !folders.Any(o => o != f && f.StartsWith(o + "/", StringComparison.Ordinal))).ToList();
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
