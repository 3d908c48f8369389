using TorrentLab.Downloads;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A manual clock for a swarm (set it as the session's <see cref="SessionSettings.Time"/>) and the progress
/// sink that tells when the swarm's timer handled each tick: the swarm reports progress at the start of every tick, so
/// the report of one tick means the one before was handled in full. A test moves virtual time tick by tick and can then
/// say what the swarm did, or did not do, by a given virtual time.</summary>
internal sealed class SwarmTicks : IProgress<DownloadProgress>
{
    /// <summary>The swarm timer's period (<c>TorrentSwarm.Timer.cs</c>).</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _reports = new(0);
    private volatile DownloadProgress? _last;

    public ManualClock Clock { get; } = new();

    /// <summary>The last progress report.</summary>
    public DownloadProgress? Last => _last;

    public void Report(DownloadProgress value)
    {
        _last = value;
        _reports.Release();
    }

    /// <summary>Waits until the swarm's timer is armed (a swarm made in the background may not have started yet).</summary>
    public async Task StartedAsync()
    {
        Assert.True(await Wait.UntilAsync(() => Clock.PendingTimers.Contains(Tick), Patience, TestContext.Current.CancellationToken), "the swarm's timer never started");
    }

    /// <summary>Moves the clock on by <paramref name="by"/> (whole ticks), each tick once the swarm reported the one before;
    /// returns once the last tick was reported (its checks may still run: see the class summary).</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        while (_reports.CurrentCount > 0) await _reports.WaitAsync(); // reports of earlier ticks
        for (var moved = TimeSpan.Zero; moved < by; moved += Tick)
        {
            Clock.Advance(Tick);
            Assert.True(await _reports.WaitAsync(Patience), "the swarm's timer did not handle a tick");
        }
    }
}
