using System.Reflection;
using System.Text.RegularExpressions;
using TorrentLab.Client;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Architecture;

/// <summary>The numbers README.md, docs/library.md and docs/ARCHITECTURE.md state about the code, counted from the code:
/// the public types (and the table that lists them), the members of the swarm's seam, the alerts kept for a slow
/// reader.</summary>
public class DocNumbersTests
{
    private static string Doc(string name) => File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", name));

    private static readonly Type[] Exported = typeof(TorrentSession).Assembly.GetExportedTypes();

    [Fact]
    public void LibraryDoc_PublicTypeCount_IsTheLibrarysExportedTypes()
    {
        var stated = Regex.Match(Doc("library.md"), @"\n(\d+) public types").Groups[1].Value;

        Assert.Equal(Exported.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), stated);
    }

    [Fact]
    public void Readme_PublicSurface_CountsTheExportedTypes()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));

        Assert.Contains($"the public surface ({Exported.Length} types)", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void LibraryDoc_PublicTypeTable_ListsExactlyTheExportedTypes()
    {
        // | `TorrentLab.Client` | `TorrentAlert`, `TorrentHandle`, ... |
        var doc = Doc("library.md");
        var table = doc[doc.IndexOf("| namespace | public types |", StringComparison.Ordinal)..];
        var listed = Regex.Matches(table, @"^\| `(TorrentLab[\w.]*)` \| (.+) \|$", RegexOptions.Multiline)
            .SelectMany(row => Regex.Matches(row.Groups[2].Value, "`([^`]+)`").Select(name => $"{row.Groups[1].Value}.{name.Groups[1].Value}"))
            .Order(StringComparer.Ordinal).ToArray();
        var exported = Exported.Select(t => (t.FullName ?? t.Name).Replace('+', '.').Split('`')[0]).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(exported, listed);
    }

    [Fact]
    public void ArchitectureDoc_SwarmHostSeam_HasTheMembersItCounts()
    {
        var stated = int.Parse(Regex.Match(Doc("ARCHITECTURE.md"), @"may read from or tell its swarm, (\d+) members").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        var host = typeof(TorrentSession).Assembly.GetType("TorrentLab.Swarm.ISwarmHost", throwOnError: true)!;
        // Properties and methods as a reader counts them: a property is one member, not its accessors.
        var members = host.GetMembers(BindingFlags.Public | BindingFlags.Instance)
            .Count(m => m is PropertyInfo || (m is MethodInfo method && !method.IsSpecialName));

        Assert.Equal(members, stated);
    }

    [Fact]
    public void LibraryDoc_AlertsKeptForASlowReader_IsTheSessionsCapacity()
    {
        Assert.Contains($"the newest {TorrentSession.AlertCapacity:N0} unread are kept", Doc("library.md"), StringComparison.Ordinal);
    }
}
