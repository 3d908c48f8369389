using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Runs external programs with a time limit and stops them by their own process id.</summary>
public static class ProcessRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs to completion; kills the process tree and fails the test if it outlives <paramref name="timeout"/>.</summary>
    public static Result Run(string file, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null,
        IDictionary<string, string>? environment = null)
    {
        using var process = Start(file, args, workingDirectory, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary><see cref="Run"/> without holding a thread while the process runs: a test whose own peers or nodes
    /// answer the process from this process's thread pool must not take one of its threads out for the whole run (on
    /// a loaded machine the pool lends another late, and the answer with it).</summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null,
        IDictionary<string, string>? environment = null)
    {
        using var process = Start(file, args, workingDirectory, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Starts a long-running process with redirected output; dispose it with <see cref="Stop"/>.</summary>
    public static Process Start(string file, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }

    /// <summary>Sends a signal (<c>INT</c>, <c>TERM</c>, <c>HUP</c>) to a process we started, with kill(1); false when it
    /// had already exited, or kill failed. An exited child is reaped at once and its id can be handed to a new process
    /// (ids wrap at 32,768 here, and a full run starts thousands): so it is never signalled by id once it has exited.</summary>
    public static bool Signal(Process process, string signal) =>
        !process.HasExited && Run("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10)).ExitCode == 0;

    /// <summary>Kills a process (and its children) by its id, if it is still running.</summary>
    public static void Stop(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        process.WaitForExit(5000);
    }

    /// <summary>A TCP port on 127.0.0.1 that is free right now, for a process to bind later. It is taken below the
    /// kernel's ephemeral range, never twice in one test run: the ports the suite's own listeners of port 0 and its
    /// outgoing connections get come from that range, so none of them can take it between our choice and the bind.</summary>
    public static int FreeTcpPort()
    {
        var span = EphemeralLow - ChosenLow;
        for (var attempt = 0; attempt < span; attempt++)
        {
            var port = ChosenLow + (int)((uint)Interlocked.Increment(ref s_nextChosen) % (uint)span);
            try
            {
                // The product's listener: its dispose shuts the listening down, so a child forked meanwhile (its copy
                // lives until the child execs) cannot keep the port from the process it is chosen for.
                TorrentLab.Network.SystemNetwork.Instance.Listen(new IPEndPoint(IPAddress.Loopback, port), 1).Dispose();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException($"no TCP port free on 127.0.0.1 from {ChosenLow} to {EphemeralLow - 1}");
    }

    private const int ChosenLow = 10000;

    /// <summary>Where the kernel's ephemeral ports begin (<c>ip_local_port_range</c>; 32768 when unreadable).</summary>
    private static readonly int EphemeralLow = ReadEphemeralLow();

    /// <summary>A random start, so two test runs on one machine seldom walk the same ports.</summary>
    private static int s_nextChosen = Random.Shared.Next();

    private static int ReadEphemeralLow()
    {
        try
        {
            var low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split(['\t', ' '],
                StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
            return low > ChosenLow + 1000 ? low : 32768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return 32768; }
    }

    /// <summary>A port number free for both TCP and UDP on 127.0.0.1 (trackers serve both on one number).</summary>
    public static int FreeTcpAndUdpPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = FreeTcpPort();
            try
            {
                // The product's UDP port: its dispose returns once no forked child holds a copy.
                TorrentLab.Network.SystemNetwork.Instance.BindUdp(new IPEndPoint(IPAddress.Loopback, port), new TorrentLab.Network.UdpPortOptions()).Dispose();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no port free for both TCP and UDP after 50 tries");
    }

    /// <summary>The TCP ports a process itself listens on, from the kernel's socket tables (<c>/proc/net/tcp</c> and
    /// <c>tcp6</c>, state 0A) matched against the process's open descriptors: empty once it has exited. Unlike a probe
    /// connection, this cannot mistake another process's listener on the same port for the one we started.</summary>
    private static HashSet<int> ListeningTcpPorts(int pid)
    {
        var portOfInode = new Dictionary<string, int>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != "0A") continue;
                var local = fields[1];
                portOfInode[fields[9]] = Convert.ToInt32(local[(local.LastIndexOf(':') + 1)..], 16);
            }
        }
        var ports = new HashSet<int>();
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)
                    && portOfInode.TryGetValue(target["socket:[".Length..^1], out var port))
                    ports.Add(port);
            }
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or UnauthorizedAccessException or IOException)
        {
            // The process exited (or is exiting) while we read its descriptors.
        }
        return ports;
    }

    /// <summary>Waits until <paramref name="process"/> itself listens on a TCP port (one told to bind port 0 picks its
    /// own, so no other process can take it between our choice and its bind) and returns it; fails the test, naming
    /// <paramref name="what"/> and its output so far, if it exits first or does not listen within a minute.</summary>
    public static int WaitForOwnListener(Process process, string what, Func<string> output, CancellationToken ct)
    {
        var port = 0;
        bool Listening()
        {
            if (process.HasExited) return true;
            var ports = ListeningTcpPorts(process.Id);
            if (ports.Count == 0) return false;
            port = ports.Min();
            return true;
        }
        Wait.UntilAsync(Listening, TimeSpan.FromSeconds(60), ct).GetAwaiter().GetResult();
        if (port == 0)
            throw new Xunit.Sdk.XunitException(process.HasExited
                ? $"{what} exited with code {process.ExitCode} before it listened:\n{output()}"
                : $"{what} did not listen within 60 s:\n{output()}");
        return port;
    }

    /// <summary>Waits until something listens on a TCP port, up to a time limit.</summary>
    public static bool WaitForTcp(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        return false;
    }
}
