namespace TorrentLab.Tests.Infrastructure;

/// <summary>Where the repository, its fixtures and the shared test corpus are.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding TorrentLab.sln).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The committed fixtures folder.</summary>
    public static string Fixtures => Path.Combine(RepoRoot, "fixtures");

    /// <summary>A fixture file by relative path.</summary>
    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    /// <summary>The shared corpus (TORRENTLAB_CORPUS, else ../shared/corpus beside the clone), or null when there is none.</summary>
    public static string? SharedCorpus
    {
        get
        {
            var candidate = Environment.GetEnvironmentVariable("TORRENTLAB_CORPUS") is { Length: > 0 } configured
                ? configured
                : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "corpus"));
            return Directory.Exists(candidate) ? candidate : null;
        }
    }

    /// <summary>The shared corpus, or a visible skip when it is absent (it is test data, not part of the product).</summary>
    public static string RequireSharedCorpus() =>
        SharedCorpus ?? throw Xunit.Sdk.SkipException.ForSkip("the shared test corpus (../shared/corpus) is not present beside this checkout");

    /// <summary>True when golden files should be rewritten instead of compared (TORRENTLAB_UPDATE_GOLDEN=1).</summary>
    public static bool UpdateGolden => Environment.GetEnvironmentVariable("TORRENTLAB_UPDATE_GOLDEN") == "1";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TorrentLab.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (TorrentLab.sln) above " + AppContext.BaseDirectory);
    }
}
