using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Architecture;

/// <summary>The README's test counts ("N of M tests" in its Tests section) stay near the suite's real ones: counted here
/// from the test assembly (a fact is one test, a theory one per data row), they must be within a fifth of what the README
/// says, so a count left behind by a few hundred tests fails.</summary>
public partial class TestCountTests
{
    private const double Drift = 0.2;

    [Fact]
    public void TheReadmesFastTierAndSuiteCounts_AreNearTheRealCounts()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var stated = Stated().Match(readme[readme.IndexOf("## Tests", StringComparison.Ordinal)..]);
        Assert.True(stated.Success, "the README's Tests section no longer says 'N of M tests'");
        var (fast, all) = (Number(stated.Groups[1].Value), Number(stated.Groups[2].Value));

        var (realFast, realAll) = Count();

        Assert.True(Math.Abs(fast - realFast) <= Drift * realFast,
            $"README says the fast tier is {fast:N0} tests; the assembly has {realFast:N0} outside [Trait(\"Tier\", \"Slow\")] classes: run the fast tier and write its count");
        Assert.True(Math.Abs(all - realAll) <= Drift * realAll, $"README says the suite is {all:N0} tests; the assembly has {realAll:N0}");
    }

    [Fact]
    public void TheCount_SeesATheorysRows_AndTheSlowTier()
    {
        var (fast, all) = Count();

        Assert.True(all > fast, "the slow tier holds tests too");
        Assert.True(Rows(typeof(TestCountTests).GetMethod(nameof(ASampleTheory), BindingFlags.NonPublic | BindingFlags.Static)!) == 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    internal static void ASampleTheory(int row) => Assert.InRange(row, 1, 3);

    private static int Number(string text) => int.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    // Every concrete test class's tests: its facts (inherited ones too) and its theories' rows.
    private static (int Fast, int All) Count()
    {
        var (fast, all) = (0, 0);
        foreach (var type in typeof(TestCountTests).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false }))
        {
            var tests = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)
                .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()).Sum(Rows);
            if (tests == 0) continue;
            all += tests;
            var slow = type.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute)
                && (string?)a.ConstructorArguments[0].Value == "Tier" && (string?)a.ConstructorArguments[1].Value == "Slow");
            if (!slow) fast += tests;
        }
        return (fast, all);
    }

    // A fact is one test; a theory is one per row its data attributes give (inline rows counted, member data enumerated).
    private static int Rows(MethodInfo method)
    {
        if (method.GetCustomAttribute<TheoryAttribute>() is null) return 1;
        var rows = 0;
        foreach (var data in method.GetCustomAttributes<Xunit.v3.DataAttribute>())
        {
            rows += data switch
            {
                InlineDataAttribute => 1,
                MemberDataAttribute member => MemberRows(method, member),
                _ => 1,
            };
        }
        return Math.Max(rows, 1);
    }

    private static int MemberRows(MethodInfo method, MemberDataAttribute member)
    {
        var owner = member.MemberType ?? method.ReflectedType!;
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.FlattenHierarchy;
        var value = owner.GetProperty(member.MemberName, flags)?.GetValue(null)
            ?? owner.GetField(member.MemberName, flags)?.GetValue(null)
            ?? owner.GetMethods(flags).FirstOrDefault(m => m.Name == member.MemberName && m.GetParameters().Length == member.Arguments.Length)
                ?.Invoke(null, member.Arguments);
        return value is System.Collections.IEnumerable rows ? rows.Cast<object>().Count() : 1;
    }

    [GeneratedRegex(@"([\d,]+) of ([\d,]+) tests")]
    private static partial Regex Stated();
}
