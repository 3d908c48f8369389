using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary><c>lab class</c> builds what the starters are: a class folder holding one copy of each starter of
/// docs/exercises/starters/, as a student hands it in, is built by the starter's own build command and graded (every
/// stage "not implemented"), in the sandbox when the machine has one. A language whose toolchain is not installed is
/// skipped with the reason, so the test run says which were present.</summary>
[Trait("Tier", "Slow")]
public class ClassStarterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("python", "python3")]
    [InlineData("javascript", "node")]
    [InlineData("go", "go")]
    [InlineData("rust", "cargo")]
    [InlineData("csharp", "dotnet")]
    [InlineData("java", "javac")]
    public async Task LabClass_BuildsAndGradesTheStarter(string language, string tool)
    {
        if (StarterTests.FindOnPath(tool) is null) Assert.Skip($"'{tool}' is not installed: the {language} starter cannot be built here");
        using var temp = new TempFolder("torrentlab-class-starter");
        StarterTests.Copy(Path.Combine(TestPaths.RepoRoot, "docs", "exercises", "starters", language), temp.Combine("class", language));
        var students = ClassRoster.Parse([$"{language} class/{language}/"], "roster");
        var sandbox = StudentSandbox.Find(out _);
        var options = new LabCheckOptions { Seed = 8, Stage = "bencode-strings", Sandbox = sandbox };
        var log = new StringWriter();

        var rows = await new ClassReport(students, temp.Path, options, temp.Combine("out")).RunAsync(log, Ct);

        var row = Assert.Single(rows);
        var report = File.ReadAllText(temp.Combine("out", language + ".txt"));
        Assert.True(row.Status == ClassReport.Outcome.Graded, $"{row.Status}: {row.Error}\n{report}");
        if (language is not ("python" or "javascript")) Assert.Contains("Building: ", report); // the others run as they are
        var result = Assert.Single(row.Results).Result;
        Assert.False(result.Passed);
        Assert.Contains("not implemented: ", result.Actual);
    }
}
