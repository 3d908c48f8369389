using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>The default of <c>lab class --jobs</c>: another student starts only when the pace measured over the last
/// window stayed under the budget, driven here by a made-up pace and a manual clock.</summary>
public class ClassAdmissionTests
{
    private sealed class MadeUpPace : LabPace
    {
        public double Slowdown = 1;
        public long? AskedSince;

        public override double SlowdownSince(long since)
        {
            AskedSince = since;
            return Slowdown;
        }
    }

    private readonly ManualClock _clock = new();
    private readonly MadeUpPace _pace = new();

    [Fact]
    public void TheFirstStudent_StartsWhateverThePace()
    {
        _pace.Slowdown = 10;
        var admission = new ClassAdmission(_pace, cap: 4, _clock);

        Assert.True(admission.MayStart(running: 0));
    }

    [Fact]
    public void ASecondStudent_WaitsAWholeWindowAfterTheFirstStarted_ThenStartsOnASteadyPace()
    {
        var admission = new ClassAdmission(_pace, cap: 4, _clock);
        admission.Started();

        _clock.Advance(ClassAdmission.Window - TimeSpan.FromMilliseconds(1));
        var early = admission.MayStart(running: 1);
        _clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.False(early);
        Assert.True(admission.MayStart(running: 1));
        Assert.Equal(_clock.GetTimestamp() - (long)(ClassAdmission.Window.TotalSeconds * _clock.TimestampFrequency), _pace.AskedSince);   // the pace of the last window
    }

    [Theory]
    [InlineData(1.0, true)]
    [InlineData(1.9, true)]
    [InlineData(2.0, false)]   // the budget: half of the 4x a run's limit can stretch
    [InlineData(3.5, false)]
    public void AnotherStudent_StartsOnlyWhileThePaceStaysUnderTheBudget(double slowdown, bool starts)
    {
        var admission = new ClassAdmission(_pace, cap: 4, _clock);
        admission.Started();
        _clock.Advance(ClassAdmission.Window);
        _pace.Slowdown = slowdown;

        Assert.Equal(starts, admission.MayStart(running: 2));
    }

    [Fact]
    public void AtTheCap_NoOneElseStarts_HoweverSteadyThePace()
    {
        var admission = new ClassAdmission(_pace, cap: 3, _clock);
        _clock.Advance(TimeSpan.FromMinutes(1));

        Assert.True(admission.MayStart(running: 2));
        Assert.False(admission.MayStart(running: 3));
    }

    [Fact]
    public void AClassOnASteadyMachine_RampsUpOneStudentPerWindow_UntilThePaceReachesTheBudget()
    {
        var admission = new ClassAdmission(_pace, cap: 8, _clock);
        var running = 0;
        var startedAt = new List<TimeSpan>();
        for (var second = 0; second < 60; second++)
        {
            _pace.Slowdown = 1 + 0.3 * running;   // each student slows the checker a little more: 1.0, 1.3, 1.6, 1.9, 2.2
            while (admission.MayStart(running))
            {
                admission.Started();
                running++;
                startedAt.Add(TimeSpan.FromSeconds(second));
                _pace.Slowdown = 1 + 0.3 * running;
            }
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(4, running);   // the fifth would start at a pace of 2.2
        Assert.Equal([0, 5, 10, 15], startedAt.Select(t => t.TotalSeconds));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(16, 32)]
    [InlineData(64, 64)]
    public void TheCap_IsTwoStudentsPerProcessor_AtMost64(int processors, int cap) =>
        Assert.Equal(cap, ClassAdmission.DefaultCap(processors));
}
