using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

/// <summary>What the checks of one test class share instead of each measuring it again, as <c>lab class</c> shares it
/// between its students: the Python clients' start-up (measured once, on the reference client, which every broken client
/// imports) and one pace probe. Two trivial runs and a probe's first second saved per check; the verdicts do not change
/// (the limits still follow the start-up and the load: <see cref="LabTimingTests"/> proves that part).</summary>
/// <remarks>It also checks the rows of a theory side by side (<see cref="CheckInBatchAsync"/>): each check mostly waits on
/// loopback, on its peers and on Python starting, so rows checked one after another mostly wait.</remarks>
public sealed class SharedTiming : IDisposable
{
    private readonly MeasuredPace _pace = LabPace.Measure();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _gate = new(ClassAdmission.DefaultCap(Environment.ProcessorCount));
    private readonly Dictionary<(string Client, LabCheckOptions Options), Task<(IReadOnlyList<(LabStage Stage, StageResult Result)> Results, string Report)>> _checks = [];

    private readonly Lazy<Task<TimeSpan>> _startup;

    public SharedTiming()
    {
        // Lazy, inside a test: a machine without python3 skips the test (StudentClients.Python) rather than failing the class.
        _startup = new(async () => (await LabTiming.MeasureAsync(new StudentProgram(StudentClients.Command("good_client.py")), 1, _stop.Token)).Startup);
    }

    /// <summary><paramref name="options"/> with the shared start-up and pace, for a check of a Python client.</summary>
    public async Task<LabCheckOptions> ForPythonAsync(LabCheckOptions options) =>
        options with { Startup = await _startup.Value, Pace = _pace };

    /// <summary><paramref name="options"/> with the shared pace only (a program whose start-up is not Python's).</summary>
    public LabCheckOptions WithPace(LabCheckOptions options) => options with { Pace = _pace };

    /// <summary>The check of fixtures/students/<paramref name="client"/> with <paramref name="options"/> (and the shared
    /// start-up and pace). The first time any check of <paramref name="batch"/> is asked for, all of them start, as many at
    /// once as <c>lab class</c> grades students here: the rows of a theory (its data is the batch) are checked side by
    /// side, and each row still asserts its own check. Running one row alone checks its whole batch.</summary>
    public Task<(IReadOnlyList<(LabStage Stage, StageResult Result)> Results, string Report)> CheckInBatchAsync(
        IEnumerable<(string Client, LabCheckOptions Options)> batch, string client, LabCheckOptions options)
    {
        lock (_checks)
        {
            foreach (var entry in batch.Append((client, options)))
                if (!_checks.ContainsKey(entry)) _checks[entry] = Task.Run(() => CheckGatedAsync(entry.Item1, entry.Item2));
            return _checks[(client, options)].WaitAsync(TestContext.Current.CancellationToken);
        }
    }

    private async Task<(IReadOnlyList<(LabStage Stage, StageResult Result)> Results, string Report)> CheckGatedAsync(string client, LabCheckOptions options)
    {
        await _gate.WaitAsync(_stop.Token);
        try
        {
            return await StudentClients.CheckAsync(StudentClients.Command(client), await ForPythonAsync(options), _stop.Token);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _pace.Dispose();
    }
}
