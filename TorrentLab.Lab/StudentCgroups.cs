using System.Globalization;

namespace TorrentLab.Lab;

/// <summary>Caps on a whole run of a student's program, every process it starts included: memory, CPU and the number of
/// processes, each through a cgroup of the run's own, made below the checker's own cgroup (so every limit above it
/// still holds). Used by <see cref="StudentSandbox"/> where this machine lets the checker make cgroups: as root on cgroup
/// v1, or in a cgroup v2 subtree delegated to it; elsewhere the report says which caps are missing and why.</summary>
/// <remarks>A run's process joins its cgroups before it becomes the student's program: a shell writes its own pid into
/// each <c>cgroup.procs</c>, then <c>exec</c>s the sandbox. When the run ends, whatever is left in them is killed and the
/// cgroups are removed.</remarks>
public sealed record StudentCgroups
{
    private const string Root = "/sys/fs/cgroup";

    // The controllers capped, each with the folder its run cgroups are made in (cgroup v1: one hierarchy each; v2: the
    // same folder for all three).
    private readonly IReadOnlyList<(string Controller, string Parent)> _parents;
    private readonly bool _unified;

    private StudentCgroups(IReadOnlyList<(string, string)> parents, bool unified, string missing)
    {
        _parents = parents;
        _unified = unified;
        Missing = missing;
    }

    /// <summary>Memory the whole run may use: 2 GiB, as <see cref="StudentSandbox.MemoryBytes"/> for one process.</summary>
    public long MemoryBytes { get; init; } = 2L << 30;

    /// <summary>Processor time the whole run may use, in processors: one, so a runaway student leaves the rest of a
    /// shared machine to the others.</summary>
    public double Cpus { get; init; } = 1;

    /// <summary>Processes (threads included) the whole run may have at once: 256, plenty for a runtime's threads, too few
    /// for a fork bomb to hurt.</summary>
    public int Pids { get; init; } = 256;

    /// <summary>The controllers capped here: some of <c>memory</c>, <c>cpu</c>, <c>pids</c>.</summary>
    public IReadOnlyList<string> Controllers => _parents.Select(p => p.Controller).ToList();

    /// <summary>Why the controllers not in <see cref="Controllers"/> are not capped ("" when all are).</summary>
    public string Missing { get; }

    /// <summary>The cgroup caps this machine allows, or null with <paramref name="why"/> saying why there are none.</summary>
    public static StudentCgroups? Find(out string why)
    {
        why = "";
        if (!OperatingSystem.IsLinux()) { why = "cgroups need Linux"; return null; }
        string[] lines;
        try { lines = File.ReadAllLines("/proc/self/cgroup"); }
        catch (IOException e) { why = $"cannot read /proc/self/cgroup: {e.Message}"; return null; }
        string[] wanted = ["memory", "cpu", "pids"];
        var found = new List<(string, string)>();
        var reasons = new List<string>();
        var unified = File.Exists(Path.Combine(Root, "cgroup.controllers"));
        if (unified)
        {
            // cgroup v2: one folder; the controllers must be delegated to its children.
            var own = lines.FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..] ?? "/";
            var parent = Root + own.TrimEnd('/');
            var delegated = TryRead(Path.Combine(parent, "cgroup.subtree_control"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
            foreach (var controller in wanted)
                if (delegated.Contains(controller)) found.Add((controller, parent));
                else reasons.Add($"{controller}: not delegated to the checker's cgroup {own} (run it under systemd-run --scope -p Delegate=yes)");
        }
        else
        {
            foreach (var controller in wanted)
            {
                // cgroup v1: "4:memory:/path", or "2:cpu,cpuacct:/path" mounted at /sys/fs/cgroup/cpu,cpuacct.
                var line = lines.Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[1].Split(',').Contains(controller));
                var mount = line is null ? null : new[] { Path.Combine(Root, controller), Path.Combine(Root, line[1]) }.FirstOrDefault(Directory.Exists);
                if (line is null || mount is null) { reasons.Add($"{controller}: no cgroup v1 hierarchy mounted"); continue; }
                found.Add((controller, mount + line[2].TrimEnd('/')));
            }
        }
        // A probe: making a cgroup needs root or a delegated subtree.
        foreach (var (controller, parent) in found.ToList())
        {
            var probe = Path.Combine(parent, $"torrentlab-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(probe);
                Directory.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                found.Remove((controller, parent));
                reasons.Add($"{controller}: cannot make a cgroup in {parent} ({e.Message})");
            }
        }
        if (found.Count == 0) { why = string.Join("; ", reasons); return null; }
        return new StudentCgroups(found, unified, string.Join("; ", reasons));
    }

    /// <summary>What the report says about the caps.</summary>
    public string Describe()
    {
        var caps = new List<string>();
        if (Controllers.Contains("memory")) caps.Add($"{MemoryBytes >> 20} MiB of memory");
        if (Controllers.Contains("cpu")) caps.Add($"{Cpus.ToString("0.##", CultureInfo.InvariantCulture)} processor(s)");
        if (Controllers.Contains("pids")) caps.Add($"{Pids} processes");
        return $"the whole run capped by cgroups at {string.Join(", ", caps)}" + (Missing.Length == 0 ? "" : $" (NOT capped: {Missing})");
    }

    /// <summary>Makes the cgroups of one run, with the caps written; dispose it when the run is over.</summary>
    /// <exception cref="LabException">A cgroup could not be made or capped.</exception>
    public Run Create()
    {
        var name = $"torrentlab-run-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var folders = new List<string>();
        var run = new Run(folders);
        try
        {
            foreach (var parent in _parents.Select(p => p.Parent).Distinct())
            {
                var folder = Path.Combine(parent, name);
                Directory.CreateDirectory(folder);
                folders.Add(folder);
            }
            foreach (var (controller, parent) in _parents)
            {
                var folder = Path.Combine(parent, name);
                var quota = ((long)(Cpus * 100_000)).ToString(CultureInfo.InvariantCulture);   // per 100 ms period
                switch (controller, _unified)
                {
                    // Swap counted in the cap where the kernel accounts it: a run over its memory is killed, not swapped out.
                    case ("memory", false):
                        File.WriteAllText(Path.Combine(folder, "memory.limit_in_bytes"), MemoryBytes.ToString(CultureInfo.InvariantCulture));
                        if (File.Exists(Path.Combine(folder, "memory.memsw.limit_in_bytes")))
                            File.WriteAllText(Path.Combine(folder, "memory.memsw.limit_in_bytes"), MemoryBytes.ToString(CultureInfo.InvariantCulture));
                        break;
                    case ("memory", true):
                        File.WriteAllText(Path.Combine(folder, "memory.max"), MemoryBytes.ToString(CultureInfo.InvariantCulture));
                        if (File.Exists(Path.Combine(folder, "memory.swap.max"))) File.WriteAllText(Path.Combine(folder, "memory.swap.max"), "0");
                        break;
                    case ("cpu", false):
                        File.WriteAllText(Path.Combine(folder, "cpu.cfs_period_us"), "100000");
                        File.WriteAllText(Path.Combine(folder, "cpu.cfs_quota_us"), quota);
                        break;
                    case ("cpu", true): File.WriteAllText(Path.Combine(folder, "cpu.max"), $"{quota} 100000"); break;
                    case ("pids", _): File.WriteAllText(Path.Combine(folder, "pids.max"), Pids.ToString(CultureInfo.InvariantCulture)); break;
                }
            }
            return run;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            run.Dispose();
            throw new LabException($"could not make the run's cgroup: {e.Message}");
        }
    }

    private static string? TryRead(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The cgroups of one run: its process joins them (<see cref="Wrap"/>); disposing kills what is left in
    /// them and removes them.</summary>
    public sealed class Run(IReadOnlyList<string> folders) : IDisposable
    {
        /// <summary>The run's cgroup folders.</summary>
        public IReadOnlyList<string> Folders => folders;

        /// <summary>The command line that joins the cgroups, then becomes <paramref name="file"/> <paramref name="args"/>.</summary>
        public (string File, IReadOnlyList<string> Args) Wrap(string file, IEnumerable<string> args)
        {
            // n=<count>, then the folders, then the command: the shell writes its pid into each, then execs the command.
            const string Join = "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1/cgroup.procs\" || exit 125; shift; n=$((n-1)); done; exec \"$@\"";
            return ("/bin/sh", ["-c", Join, "sh", folders.Count.ToString(CultureInfo.InvariantCulture), .. folders, file, .. args]);
        }

        /// <summary>What the caps did to the run so far: a process the kernel killed for the memory cap
        /// (<c>oom_kill</c> in <c>memory.events</c>, v2, or <c>memory.oom_control</c>, v1), and a fork refused at the
        /// process cap (<c>max</c> in <c>pids.events</c>).</summary>
        public (bool MemoryKill, bool ProcessCap) Events()
        {
            var memory = false;
            var processes = false;
            foreach (var folder in folders)
            {
                memory |= Count(Path.Combine(folder, "memory.events"), "oom_kill") > 0 || Count(Path.Combine(folder, "memory.oom_control"), "oom_kill") > 0;
                processes |= Count(Path.Combine(folder, "pids.events"), "max") > 0;
            }
            return (memory, processes);
        }

        // "key value" lines: the value of key, 0 when the file or the key is missing.
        private static long Count(string file, string key) =>
            (TryRead(file) ?? "").Split('\n').Select(l => l.Split(' ')).Where(f => f.Length == 2 && f[0] == key)
                .Select(f => long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).FirstOrDefault();

        /// <summary>Kills what is left of the run and removes its cgroups (bounded: 5 s per cgroup).</summary>
        public void Dispose()
        {
            foreach (var folder in folders)
            {
                for (var attempt = 0; attempt < 50 && Directory.Exists(folder); attempt++)
                {
                    foreach (var pid in (TryRead(Path.Combine(folder, "cgroup.procs")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        try { System.Diagnostics.Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture)).Kill(); }
                        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or FormatException) { /* already gone */ }
                    }
                    try { Directory.Delete(folder); }
                    catch (IOException) { Thread.Sleep(100); }   // busy until its last process has exited
                    catch (UnauthorizedAccessException) { break; }
                }
            }
        }
    }
}
