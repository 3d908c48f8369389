using TorrentLab.Fuzz;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Fuzz;

/// <summary>The fuzz targets without afl-fuzz: every target's entry point runs over its committed corpus
/// (<c>fuzz/corpus/TARGET</c>) and every crash kept as a regression input (<c>fuzz/regressions/TARGET</c>), in this
/// process, so CI exercises each target and replays each crash ever found.</summary>
public class FuzzTargetsTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    private static string Folder(string kind, string target) => Path.Combine(TestPaths.RepoRoot, "fuzz", kind, target);

    private static IEnumerable<string> Inputs(string kind, string target) =>
        Directory.Exists(Folder(kind, target)) ? Directory.EnumerateFiles(Folder(kind, target)).Order(StringComparer.Ordinal) : [];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_OverItsCorpusAndRegressionInputs_ThrowsNothingButTheLayersOwnErrors(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var inputs = Inputs("corpus", name).Concat(Inputs("regressions", name)).ToList();
        Assert.NotEmpty(Inputs("corpus", name));

        var failures = new List<string>();
        foreach (var input in inputs)
        {
            try { target.Run(File.ReadAllBytes(input)); }
            catch (Exception e) { failures.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, input)}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_SeedsItBuilds_AreInItsCommittedCorpus(string name)
    {
        // The corpus is what `TorrentLab.Fuzz --seeds fuzz/corpus` writes: a seed missing from it was never fuzzed.
        var target = FuzzTargets.Find(name)!;
        foreach (var (seed, _) in target.Seeds())
            Assert.True(File.Exists(Path.Combine(Folder("corpus", name), seed)), $"fuzz/corpus/{name}/{seed} is missing: run `dotnet run --project fuzz/TorrentLab.Fuzz -- --seeds fuzz/corpus`");
    }

    [Fact]
    public void EveryCorpusFolder_HasATarget()
    {
        var folders = Directory.EnumerateDirectories(Path.Combine(TestPaths.RepoRoot, "fuzz", "corpus")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order(StringComparer.Ordinal), folders);
    }
}
