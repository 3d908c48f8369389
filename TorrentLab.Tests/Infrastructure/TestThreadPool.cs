using System.Diagnostics.Tracing;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Sizes the test process's thread pool for its blocking tests (<see cref="MinimumThreads"/>), and with
/// <c>TORRENTLAB_POOL_LOG=FILE</c> writes a line to FILE each time the test process's thread pool added a
/// thread because its work waited (the runtime's "starvation" adjustment), with the time and the thread count: a test
/// whose in-process server answers late on a loaded machine can be matched against the moments the pool ran dry.</summary>
internal sealed class TestThreadPool : EventListener
{
    private const int AdjustmentEvent = 55; // ThreadPoolWorkerThreadAdjustmentAdjustment
    private const uint StarvationReason = 6;
    private readonly string? _path = Environment.GetEnvironmentVariable("TORRENTLAB_POOL_LOG");
    private readonly Lock _lock = new();

    internal static TestThreadPool? Listener { get; private set; }

    /// <summary>Threads the test process's pool lends at once without waiting. Many tests block a thread for as long as
    /// an external process runs (the command line, a simulation, a real client; <see cref="ProcessRunner.Run"/>, up to
    /// minutes) while other tests' servers in this process answer from the same pool; with the runtime's default (one
    /// per core, then one more every half second or so) a loaded run lent the in-process server its threads late, and a
    /// qBittorrent client's 5 s request timed out on an add that takes milliseconds.</summary>
    internal const int MinimumThreads = 64;

    [ModuleInitializer]
    internal static void Start()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, MinimumThreads), Math.Max(io, MinimumThreads));
        if (Environment.GetEnvironmentVariable("TORRENTLAB_POOL_LOG") is { Length: > 0 }) Listener = new TestThreadPool();
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime" && _path is not null)
            EnableEvents(source, EventLevel.Informational, (EventKeywords)0x10000); // the threading keyword
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (_path is null || e.EventId != AdjustmentEvent || e.Payload is not { Count: >= 3 } payload) return;
        if (Convert.ToUInt32(payload[2], CultureInfo.InvariantCulture) != StarvationReason) return;
        lock (_lock)
            File.AppendAllText(_path, $"{DateTime.UtcNow:HH:mm:ss.fff} starvation: {payload[1]} worker threads\n");
    }
}
