using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Architecture;

/// <summary>STYLE.md's rule that a type is split by concern before it reaches a thousand lines, counted from the
/// sources: a type is its file and its partial files (<c>TorrentSwarm.cs</c>, <c>TorrentSwarm.Peers.cs</c>, ...).</summary>
public sealed class TypeSizeTests
{
    /// <summary>The product's projects (what ships), by folder.</summary>
    private static readonly string[] Products =
        ["TorrentLab", "TorrentLab.Cli", "TorrentLab.Web", "TorrentLab.Lab", "TorrentLab.Tracker.Server", "TorrentLab.Tracker.Host"];

    private const int MaxLines = 1000; // STYLE.md: split by concern "rather than letting it reach a thousand lines"

    [Fact]
    public void EveryProductType_WithItsPartialFiles_StaysUnderAThousandLines()
    {
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var project in Products)
        {
            var root = Path.Combine(TestPaths.RepoRoot, project);
            Assert.True(Directory.Exists(root), $"no project folder {root}");
            foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file);
                if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
                // TorrentSwarm.Peers.cs belongs to TorrentSwarm; a type of its own sits in a file named after it.
                var type = Path.Combine(project, Path.GetDirectoryName(relative) ?? "", Path.GetFileName(file).Split('.')[0]).Replace('\\', '/');
                sizes[type] = sizes.GetValueOrDefault(type) + File.ReadLines(file).Count();
            }
        }

        var over = sizes.Where(s => s.Value > MaxLines).OrderByDescending(s => s.Value).Select(s => $"{s.Key}: {s.Value} lines").ToList();

        Assert.True(sizes.Count > 100, $"only {sizes.Count} types found below {TestPaths.RepoRoot}");
        Assert.True(over.Count == 0, "types over " + MaxLines + " lines with their partials: " + string.Join("; ", over));
    }

    /// <summary>Issue 79: the swarm is its parts (docs/ARCHITECTURE.md, "The swarm's parts"), and what is left of it,
    /// the peers' routing and the torrent's life, stays under 800 lines with its partial files.</summary>
    [Fact]
    public void TorrentSwarm_WithItsPartialFiles_StaysUnder800Lines()
    {
        var folder = Path.Combine(TestPaths.RepoRoot, "TorrentLab", "Swarm");
        var files = Directory.GetFiles(folder, "TorrentSwarm*.cs");
        var lines = files.Sum(f => File.ReadLines(f).Count());

        Assert.True(files.Length >= 2, $"TorrentSwarm's files not found in {folder}");
        Assert.True(lines < 800, $"TorrentSwarm is {lines} lines in {files.Length} files");
    }
}
