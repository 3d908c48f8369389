using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

/// <summary>What the checks of one test class share instead of each measuring it again, as <c>lab class</c> shares it
/// between its students: the Python clients' start-up (measured once, on the reference client, which every broken client
/// imports) and one pace probe. Two trivial runs and a probe's first second saved per check; the verdicts do not change
/// (the limits still follow the start-up and the load: <see cref="LabTimingTests"/> proves that part).</summary>
public sealed class SharedTiming : IDisposable
{
    private readonly MeasuredPace _pace = LabPace.Measure();

    // Lazy, inside a test: a machine without python3 skips the test (StudentClients.Python) rather than failing the class.
    private readonly Lazy<Task<TimeSpan>> _startup = new(async () => (await LabTiming.MeasureAsync(
        new StudentProgram(StudentClients.Command("good_client.py")), 1, TestContext.Current.CancellationToken)).Startup);

    /// <summary><paramref name="options"/> with the shared start-up and pace, for a check of a Python client.</summary>
    public async Task<LabCheckOptions> ForPythonAsync(LabCheckOptions options) =>
        options with { Startup = await _startup.Value, Pace = _pace };

    /// <summary><paramref name="options"/> with the shared pace only (a program whose start-up is not Python's).</summary>
    public LabCheckOptions WithPace(LabCheckOptions options) => options with { Pace = _pace };

    public void Dispose() => _pace.Dispose();
}
