using System.Text.Json;
using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

public class LabJsonReportTests
{
    private static readonly LabTiming Timing = new(TimeSpan.FromSeconds(0.25), 2);

    [Fact]
    public void StageLine_FailedStage_IsOneObjectWithVerdictTimeHintAndSeed()
    {
        var result = StageResult.Fail(1, "python3 main.py decode 6:h\u00e9llo", "\"h\u00e9llo\"", "\"h\u00e9llo\u0000\"", "count BYTES")
            with { Seed = 42, Elapsed = TimeSpan.FromSeconds(1.234), TimedOut = false };

        var line = LabJsonReport.StageLine("python3 main.py", Timing, LabStages.All[0], result);

        Assert.DoesNotContain('\n', line);
        var stage = JsonDocument.Parse(line).RootElement;
        Assert.Equal("bencode-strings", stage.GetProperty("stage").GetString());
        Assert.Equal("FAIL", stage.GetProperty("verdict").GetString());
        Assert.Equal(1.23, stage.GetProperty("seconds").GetDouble());
        Assert.Equal(42, stage.GetProperty("seed").GetInt32());
        Assert.Equal("count BYTES", stage.GetProperty("hint").GetString());
        Assert.Equal("\"h\u00e9llo\"", stage.GetProperty("expected").GetString());
        Assert.Equal(0.25, stage.GetProperty("startup_seconds").GetDouble());
        Assert.Equal(2, stage.GetProperty("slow").GetDouble());
        // Readable as text: quotes and non-ASCII letters unescaped, control characters still escaped.
        Assert.Contains("\"expected\":\"\\\"h\u00e9llo\\\"\"", line);
        Assert.Contains("\\u0000", line);
    }

    [Fact]
    public void StageLine_PassedStage_HasNullHintExpectedGotAndRan()
    {
        var result = StageResult.Pass(5, "python3 main.py decode i0e") with { Seed = 7 };

        var stage = JsonDocument.Parse(LabJsonReport.StageLine("python3 main.py", Timing, LabStages.All[1], result)).RootElement;

        Assert.Equal("PASS", stage.GetProperty("verdict").GetString());
        Assert.Equal(5, stage.GetProperty("runs").GetInt32());
        foreach (var name in new[] { "hint", "expected", "got", "ran" })
            Assert.Equal(JsonValueKind.Null, stage.GetProperty(name).ValueKind);
    }
}
