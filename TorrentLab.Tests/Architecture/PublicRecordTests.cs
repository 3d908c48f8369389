using System.Reflection;
using TorrentLab.Client;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Architecture;

/// <summary>The library's rule for public types (docs/library.md, "How public types change"): what a type learns later
/// is a new property, never a constructor parameter. A record shipped positional (its constructor in
/// PublicAPI.Shipped.txt) keeps its constructor as shipped; no other public record takes its data through a public
/// constructor.</summary>
public class PublicRecordTests
{
    [Fact]
    public void NoPublicRecordButTheShippedOnes_TakesItsDataThroughAPublicConstructor()
    {
        var shipped = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "TorrentLab", "PublicAPI.Shipped.txt"));
        var positional = typeof(TorrentSession).Assembly.GetExportedTypes()
            .Where(IsRecord)
            .Where(t => t.GetConstructors().Any(c => c.GetParameters().Length > 0 && c.GetParameters().All(p => t.GetProperty(p.Name!) is not null)))
            .ToList();

        var unshipped = positional
            .Where(t => !shipped.Any(line => line.StartsWith($"{t.FullName}.{t.Name}(", StringComparison.Ordinal)))
            .Select(t => t.FullName).ToList();
        Assert.NotEmpty(positional); // the shipped ones are found: the test reads records as the compiler makes them
        Assert.True(unshipped.Count == 0, "public records taking their data through a public constructor that 0.1.0 did not ship: " + string.Join(", ", unshipped));
    }

    /// <summary>A record class has the compiler's <c>&lt;Clone&gt;$</c>; a record struct its <c>PrintMembers</c>.</summary>
    private static bool IsRecord(Type t) =>
        t.GetMethod("<Clone>$") is not null
        || (t.IsValueType && t.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null);
}
