using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>serve as a systemd service: the command line of <c>docs/torrentlab.service</c> started with
/// <c>NOTIFY_SOCKET</c> on a socket this test reads and <c>JOURNAL_STREAM</c> set, as systemd starts it: READY=1 once
/// it listens, RELOADING=1 then READY=1 after SIGHUP, STOPPING=1 after SIGTERM, and every log line with its journal
/// priority.</summary>
[Trait("Tier", "Slow")]
public class ServeServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static string Unit => Path.Combine(TestPaths.RepoRoot, "docs", "torrentlab.service");

    /// <summary>The unit's ExecStart, split into words (it has no quoting).</summary>
    private static string[] ExecStart() =>
        File.ReadAllLines(Unit).Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task TheUnitsCommandLine_NotifiesReadyReloadingAndStopping_AndLogsInTheJournalsForm()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("sd_notify and signals are Linux's");
        using var state = new TempFolder("torrentlab-service");
        // The unit's words, with its program run from this build and its state folder here; its web port any free one,
        // and no DHT (a test never contacts the public routers).
        var words = ExecStart();
        Assert.Equal("/usr/local/bin/torrentlab", words[0]);
        var args = words[1..].Select(w => w.Replace("/var/lib/torrentlab", state.Path, StringComparison.Ordinal)).ToList();
        args[args.IndexOf("--port") + 1] = "0";
        args.AddRange(["--peer-port", "0", "--no-dht"]);
        Directory.CreateDirectory(state.Combine("watch"));
        var socketPath = state.Combine("notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));

        // Started with SIGHUP ignored, as under nohup (a test run started so passes that on): serve still reloads on it.
        using var process = ProcessRunner.Start("env", ["--ignore-signal=HUP", "dotnet", CliRunner.CliDll, .. args], state.Path,
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["JOURNAL_STREAM"] = "8:12345" });
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        var messages = new List<string>();
        var exited = false;
        try
        {
            var ready = await ReceiveAsync(notify, process, "READY after the start");
            messages.Add(ready);
            Assert.Contains("READY=1", ready.Split('\n'));
            Assert.Contains($"MAINPID={process.Id}", ready.Split('\n'));

            Signal("HUP", process);
            var reloading = await ReceiveAsync(notify, process, "RELOADING after SIGHUP");
            var readyAgain = await ReceiveAsync(notify, process, "READY after the reload");
            messages.AddRange([reloading, readyAgain]);
            Assert.Contains("RELOADING=1", reloading.Split('\n'));
            Assert.Matches(@"(^|\n)MONOTONIC_USEC=\d+(\n|$)", reloading);
            Assert.Contains("READY=1", readyAgain.Split('\n'));

            Signal("TERM", process);
            var stopping = await ReceiveAsync(notify, process, "STOPPING after SIGTERM");
            messages.Add(stopping);
            Assert.Contains("STOPPING=1", stopping.Split('\n'));
            exited = process.WaitForExit(Patience);
        }
        finally
        {
            if (!exited) ProcessRunner.Stop(process);
        }

        Assert.True(exited, "serve did not stop within 60 s of SIGTERM; notifications: " + string.Join(" | ", messages));
        Assert.Equal(CliRunner.Codes.Ok, process.ExitCode);
        var lines = ((await stdout) + (await stderr)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches(@"^<[3-6]>", line));
        Assert.Contains(lines, l => l.StartsWith("<6>serving http://127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("<6>reloading: ", StringComparison.Ordinal));
        Assert.Contains("<6>stopped: the torrent list and ledgers are saved", lines);
    }

    [Fact]
    public void TheUnit_PassesSystemdsOwnCheck()
    {
        var analyze = Interop.RequireExecutable("/usr/bin/systemd-analyze");
        using var temp = new TempFolder("torrentlab-unit");
        // verify wants the program to exist; everything else is the unit as shipped.
        var unit = temp.Combine("torrentlab.service");
        File.WriteAllText(unit, File.ReadAllText(Unit).Replace("/usr/local/bin/torrentlab", "/bin/true", StringComparison.Ordinal));

        var result = ProcessRunner.Run(analyze, ["verify", unit], TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0 && result.Stderr.Trim().Length == 0, $"systemd-analyze verify: exit {result.ExitCode}\n{result.Stdout}{result.Stderr}");
        var text = File.ReadAllText(Unit);
        foreach (var hardening in new[] { "Type=notify", "User=torrentlab", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
            "PrivateTmp=yes", "RestrictAddressFamilies=", "ReadWritePaths=/var/lib/torrentlab", "ExecReload=" })
            Assert.Contains(hardening, text, StringComparison.Ordinal);
    }

    private static void Signal(string name, Process process) =>
        Assert.True(ProcessRunner.Signal(process, name), $"could not send SIG{name}: serve had exited");

    /// <summary>The next datagram on the notify socket, waited for at most <see cref="Patience"/>; a failure says which
    /// notification did not come and whether the service was still running.</summary>
    private static async Task<string> ReceiveAsync(Socket socket, Process process, string expected)
    {
        var buffer = new byte[4096];
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(Patience);
        try
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            process.Refresh();
            Assert.Fail($"no {expected} within {Patience.TotalSeconds:0} s; the service " + (process.HasExited
                ? $"had exited with code {process.ExitCode}"
                : $"was running ({process.Threads.Count} threads, {process.TotalProcessorTime.TotalSeconds:0.0} s of CPU)"));
            throw;
        }
    }
}
