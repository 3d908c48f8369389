using System.Diagnostics;
using TorrentLab.Metainfo;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Debian's opentracker on 127.0.0.1, HTTP and UDP on one free port number, stopped by its process id.</summary>
/// <remarks>Debian builds it with a whitelist: it tracks only the info hashes listed, read from the -w file relative to
/// the -d folder it chroots into as 'nobody' (so the folder must be world-readable).</remarks>
public sealed class OpenTracker : IDisposable
{
    private readonly Process _process;

    private OpenTracker(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }
    public string HttpAnnounceUrl => $"http://127.0.0.1:{Port}/announce";
    public string UdpAnnounceUrl => $"udp://127.0.0.1:{Port}/announce";

    /// <summary>The port to give torrents before starting (their announce URL must name it).</summary>
    public static int ReservePort() => ProcessRunner.FreeTcpAndUdpPort();

    /// <summary>Starts opentracker tracking <paramref name="allowed"/>; skips (or fails in CI) when it is not installed.</summary>
    public static OpenTracker Start(int port, IEnumerable<InfoHash> allowed, string folder)
    {
        var executable = Interop.RequireExecutable("opentracker");
        if (!OperatingSystem.IsLinux()) throw Xunit.Sdk.SkipException.ForSkip("opentracker runs on Linux here");
        var state = Path.Combine(folder, "opentracker");
        Directory.CreateDirectory(state);
        File.WriteAllLines(Path.Combine(state, "whitelist.txt"), allowed.Select(h => h.Hex));
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);                                // 755
        File.SetUnixFileMode(state, (UnixFileMode)0b111_101_101);                                 // 755
        File.SetUnixFileMode(Path.Combine(state, "whitelist.txt"), (UnixFileMode)0b110_100_100);  // 644
        var process = ProcessRunner.Start(executable, ["-i", "127.0.0.1", "-p", port.ToString(), "-P", port.ToString(), "-d", state, "-w", "whitelist.txt"]);
        var tracker = new OpenTracker(process, port);
        if (!ProcessRunner.WaitForTcp(port, TimeSpan.FromSeconds(5)))
        {
            tracker.Dispose();
            Assert.Fail("opentracker did not start listening within 5 s");
        }
        return tracker;
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
