using System.Diagnostics.Tracing;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>With <c>TORRENTLAB_POOL_LOG=FILE</c>, writes a line to FILE each time the test process's thread pool added a
/// thread because its work waited (the runtime's "starvation" adjustment), with the time and the thread count: a test
/// whose in-process server answers late on a loaded machine can be matched against the moments the pool ran dry.</summary>
internal sealed class PoolStarvationLog : EventListener
{
    private const int AdjustmentEvent = 55; // ThreadPoolWorkerThreadAdjustmentAdjustment
    private const uint StarvationReason = 6;
    private readonly string? _path = Environment.GetEnvironmentVariable("TORRENTLAB_POOL_LOG");
    private readonly Lock _lock = new();

    internal static PoolStarvationLog? Listener { get; private set; }

    [ModuleInitializer]
    internal static void Start()
    {
        if (Environment.GetEnvironmentVariable("TORRENTLAB_POOL_LOG") is { Length: > 0 }) Listener = new PoolStarvationLog();
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
