using System.Text.RegularExpressions;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>The exercise pages and docs/lab.md say what the checker does: every stage's time limit, in three places that
/// must agree with <see cref="LabStages"/>.</summary>
public partial class ExercisePagesTests
{
    public static TheoryData<string> Stages() => [.. LabStages.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Stages))]
    public void EveryPage_StatesItsStagesTimeLimit(string name)
    {
        var stage = LabStages.All.Single(s => s.Name == name);
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, stage.Exercise));

        Assert.Contains($"**Time limit:** {stage.TimeLimit.TotalSeconds:0} s per run of your program", page);
    }

    [Fact]
    public void ExercisesReadme_TimeLimitTable_GivesEveryStageItsLimit()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "exercises", "README.md"));
        // | 10 s | 1-9 (bencode, ...), 12-13 (...), 17 (`dht ping`), 20-21 (...) |
        var limits = TableRow().Matches(readme).ToDictionary(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            m => StageNumbers(StageInRow().Matches(m.Groups[2].Value).Select(n => n.Groups[1].Value)));

        AssertEveryStageOnce(limits);
    }

    [Fact]
    public void LabDoc_GivesEveryStageItsLimit_DhtAndV2Included()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "lab.md")).ReplaceLineEndings(" ").Replace("  ", " ");
        // "10 s for a local computation or one request, stages 1-9, 12-13, 17, 20-21;"
        var limits = DocSentence().Matches(doc).ToDictionary(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            m => StageNumbers(m.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries)));

        AssertEveryStageOnce(limits);
    }

    /// <summary>The faulty peers grade by default (<c>--no-faults</c> leaves them out), so a page that says they come
    /// "with <c>--faults</c>" tells a student the default grade is the honest one.</summary>
    [Theory]
    [MemberData(nameof(Stages))]
    public void EveryPage_SpeaksOfTheFaultyPeersAsTheDefault(string name)
    {
        var stage = LabStages.All.Single(s => s.Name == name);
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, stage.Exercise)).ReplaceLineEndings(" ");

        Assert.DoesNotMatch(@"(?i)\bwith(out)?\s+`--faults`", page);
    }

    [Fact]
    public void MagnetParsePage_DoesNotSayTheLabLeavesOutTheDht()
    {
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "exercises", "12-magnet-parse.md"));

        Assert.DoesNotContain("does not use", page);
        Assert.Contains("DHT", page);
    }

    private static void AssertEveryStageOnce(Dictionary<int, List<int>> limits)
    {
        var stated = limits.SelectMany(l => l.Value.Select(n => (Stage: n, Seconds: l.Key))).OrderBy(s => s.Stage).ToList();
        var actual = LabStages.All.Select((s, i) => (Stage: i + 1, Seconds: (int)s.TimeLimit.TotalSeconds)).ToList();
        Assert.Equal(actual, stated);
    }

    /// <summary>"1-9", "17" -> 1..9, 17.</summary>
    private static List<int> StageNumbers(IEnumerable<string> ranges) =>
        [.. ranges.SelectMany(r =>
        {
            var ends = r.Split('-').Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return Enumerable.Range(ends[0], ends[^1] - ends[0] + 1);
        })];

    [GeneratedRegex(@"^\| (\d+) s \| (.*) \|$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"(?:^|, )(\d+(?:-\d+)?) \(")]
    private static partial Regex StageInRow();

    [GeneratedRegex(@"(\d+) s for [^,;]*, stages ([\d, -]+?)[;)]")]
    private static partial Regex DocSentence();
}
