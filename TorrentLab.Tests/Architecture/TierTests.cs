using System.Reflection;

namespace TorrentLab.Tests.Architecture;

/// <summary>The fast tier is every test class not marked <c>[Trait("Tier", "Slow")]</c> (run with
/// <c>--filter "Tier!=Slow"</c>), so a misspelt tier would put a slow class in the fast run unnoticed.</summary>
public class TierTests
{
    [Fact]
    public void EveryTierTrait_IsSlow_OnATestClass()
    {
        var tiers = typeof(TierTests).Assembly.GetTypes()
            .SelectMany(type => type.GetCustomAttributesData().Concat(type.GetMethods().SelectMany(m => m.GetCustomAttributesData()))
                .Where(a => a.AttributeType == typeof(TraitAttribute) && (string?)a.ConstructorArguments[0].Value == "Tier")
                .Select(a => (Type: type.FullName, Value: (string?)a.ConstructorArguments[1].Value)))
            .ToList();

        Assert.NotEmpty(tiers);
        Assert.All(tiers, t => Assert.True(t.Value == "Slow", $"{t.Type} has Tier={t.Value}; the only tier to mark is Slow"));
    }

    [Fact]
    public void TheSlowTier_HoldsTheInteropBrowserAndReliabilityTests()
    {
        var unmarked = typeof(TierTests).Assembly.GetTypes()
            .Where(type => type.IsPublic && type.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>().Any()))
            .Where(type => type.Name.Contains("Interop", StringComparison.Ordinal) || type.Name.Contains("Browser", StringComparison.Ordinal)
                           || type.Namespace == "TorrentLab.Tests.Reliability")
            .Where(type => !type.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute)
                                                                    && (string?)a.ConstructorArguments[1].Value == "Slow"))
            .Select(type => type.FullName).ToList();

        Assert.Empty(unmarked);
    }

    /// <summary>A class that opens pages runs in the browser collection, one page test at a time
    /// (<see cref="Infrastructure.BrowserCollection"/>): one outside it would run beside the others in the shared browser.</summary>
    [Fact]
    public void EveryClassThatOpensPages_IsInTheBrowserCollection()
    {
        var tests = Path.Combine(Infrastructure.TestPaths.RepoRoot, "TorrentLab.Tests");
        var opening = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.EndsWith("HeadlessChromium.cs", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("HeadlessChromium.LeaseAsync", StringComparison.Ordinal))
            .ToList();

        Assert.True(opening.Count >= 10, $"{opening.Count} page test files found");
        Assert.All(opening, f => Assert.Contains("[Collection(BrowserCollection.Name)]", File.ReadAllText(f)));
        Assert.All(typeof(TierTests).Assembly.GetTypes().Where(t => t.Name.Contains("Browser", StringComparison.Ordinal)
                                                                   && t.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>().Any())),
            t => Assert.Equal(Infrastructure.BrowserCollection.Name, t.GetCustomAttribute<CollectionAttribute>()?.Name));
    }

    [Fact]
    public void TheClassesStartedFirst_AreSlowOnes_NamedOnce_AndComeBeforeTheRestOfTheSlowTierAndTheFastTier()
    {
        Assert.All(Infrastructure.LongestFirst.Longest, type => Assert.True(Infrastructure.LongestFirst.IsSlow(type), $"{type.Name} is not in the slow tier"));
        Assert.Equal(Infrastructure.LongestFirst.Longest.Length, Infrastructure.LongestFirst.Longest.Distinct().Count());
        Assert.Equal(
            [0, Infrastructure.LongestFirst.Longest.Length, Infrastructure.LongestFirst.Longest.Length + 1],
            new[] { typeof(Lab.LabSeedMatrixTests), typeof(Web.BrowserTests), typeof(TierTests) }.Select(Infrastructure.LongestFirst.RankOf));
    }
}
