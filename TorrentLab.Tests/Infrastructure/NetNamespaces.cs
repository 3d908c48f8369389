using System.Diagnostics;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Linux network namespaces a test creates for itself, joined by veth pairs, all deleted on dispose (and with
/// them their ends of every pair): a private network in which multicast, NAT and other traffic that must never reach
/// the machine's own network can be tested.</summary>
/// <remarks>Needs iproute2 and CAP_NET_ADMIN; <see cref="CreateOrSkip"/> skips the test visibly with the reason
/// otherwise. Addresses are in 10.x, used only inside these namespaces. Names carry the process id and a random part,
/// so tests running at once on one machine do not meet.</remarks>
public sealed class NetNamespaces : IDisposable
{
    private readonly string _id;
    private readonly List<string> _names = [];
    private int _links;

    private NetNamespaces(string id) => _id = id;

    /// <summary>Starts an empty set (skips the test when namespaces cannot be created here).</summary>
    public static NetNamespaces CreateOrSkip()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("network namespaces are Linux");
        Interop.RequireExecutable("ip");
        var set = new NetNamespaces($"{Environment.ProcessId % 10_000}x{Random.Shared.Next(1000)}");
        var probe = set.Add("p", out var refusal);
        if (probe is null)
        {
            set.Dispose();
            // What ip said: a clean-clone run with root skipped a namespace test here once (2026-11-27 13:43, beside
            // another run), and the reason it gave could not tell why.
            Assert.Skip($"cannot create network namespaces (needs CAP_NET_ADMIN): ip netns add: {refusal}");
        }
        return set;
    }

    /// <summary>Runs <c>ip</c> with a time limit.</summary>
    public static ProcessRunner.Result Ip(params string[] args) => ProcessRunner.Run("ip", args, TimeSpan.FromSeconds(10));

    /// <summary>A new namespace named after <paramref name="role"/> with its loopback up; null when it cannot be made.</summary>
    public string? Add(string role) => Add(role, out _);

    /// <summary><see cref="Add(string)"/>, with what ip said when it could not.</summary>
    private string? Add(string role, out string refusal)
    {
        var name = $"tl{role}{_id}";
        var added = Ip("netns", "add", name);
        refusal = $"exit {added.ExitCode}: {(added.Stderr + added.Stdout).Trim()}";
        if (added.ExitCode != 0) return null;
        _names.Add(name);
        Ip("-n", name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>A new namespace, failing the test when it cannot be made.</summary>
    public string Create(string role) => Add(role) ?? throw new InvalidOperationException($"cannot create namespace for '{role}'");

    /// <summary>Joins two namespaces by a veth pair with an address (<c>10.x.y.z/24</c>) on each end, both up.</summary>
    /// <returns>The names of the two ends, in the order given.</returns>
    public (string A, string B) Link(string nsA, string addressA, string nsB, string addressB, int prefix = 24)
    {
        var n = Interlocked.Increment(ref _links);
        var (a, b) = ($"tlv{_id}a{n}", $"tlv{_id}b{n}");
        Must(Ip("link", "add", a, "type", "veth", "peer", "name", b), "veth pair");
        Must(Ip("link", "set", a, "netns", nsA), "move veth");
        Must(Ip("link", "set", b, "netns", nsB), "move veth");
        Must(Ip("-n", nsA, "addr", "add", $"{addressA}/{prefix}", "dev", a), "address");
        Must(Ip("-n", nsB, "addr", "add", $"{addressB}/{prefix}", "dev", b), "address");
        Must(Ip("-n", nsA, "link", "set", a, "up"), "link up");
        Must(Ip("-n", nsB, "link", "set", b, "up"), "link up");
        return (a, b);
    }

    /// <summary>Runs a program inside <paramref name="ns"/> to completion.</summary>
    public static ProcessRunner.Result Run(string ns, string file, IEnumerable<string> args, TimeSpan timeout) =>
        ProcessRunner.Run("ip", ["netns", "exec", ns, file, .. args], timeout);

    /// <summary>Starts a long-running program inside <paramref name="ns"/> (<c>ip netns exec</c> becomes the program, so
    /// the process id is its own); stop it with <see cref="ProcessRunner.Stop"/>.</summary>
    public static Process Start(string ns, string file, IEnumerable<string> args) =>
        ProcessRunner.Start("ip", ["netns", "exec", ns, file, .. args]);

    /// <summary>Starts a program inside <paramref name="ns"/> as <see cref="Start(string, string, IEnumerable{string})"/>
    /// does, its output lines (stdout and stderr) collected in <paramref name="log"/>.</summary>
    public static Process StartLogged(string ns, System.Collections.Concurrent.ConcurrentQueue<string> log, string file, IEnumerable<string> args)
    {
        var process = Start(ns, file, args);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Must(ProcessRunner.Result result, string what)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"ip ({what}) failed: {result.Stderr.Trim()}");
    }

    public void Dispose()
    {
        foreach (var name in _names) Ip("netns", "del", name);
        _names.Clear();
    }
}
