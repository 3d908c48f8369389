using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

[Trait("Tier", "Slow")]
public class ClassReportTests
{
    [Fact]
    public async Task SameRosterAndSeed_GiveEveryStudentTheSameInputs()
    {
        using var temp = new TempFolder();
        var students = ClassRoster.Parse([$"ann {StudentClients.Python()} {TestPaths.Fixture("students", "unsorted_info_keys.py")}"], "roster");
        var options = new LabCheckOptions { Seed = 31, Stage = "info-hash" };

        var first = await new ClassReport(students, temp.Path, options, temp.Combine("one")).RunAsync(TextWriter.Null, TestContext.Current.CancellationToken);
        var again = await new ClassReport(students, temp.Path, options, temp.Combine("two")).RunAsync(TextWriter.Null, TestContext.Current.CancellationToken);
        var other = await new ClassReport(students, temp.Path, options with { Seed = 32 }, temp.Combine("three")).RunAsync(TextWriter.Null, TestContext.Current.CancellationToken);

        var expected = first[0].Results.Single().Result.Expected;
        Assert.False(first[0].Results.Single().Result.Passed);
        Assert.Equal(expected, again[0].Results.Single().Result.Expected);
        Assert.NotEqual(expected, other[0].Results.Single().Result.Expected);
        Assert.True(File.Exists(temp.Combine("one", "ann.jsonl")));
    }

    [Fact]
    public async Task StudentWhoseProgramCannotStart_GetsARowWithTheError_AndTheOthersAreChecked()
    {
        using var temp = new TempFolder();
        var students = ClassRoster.Parse(["gone ./no-such-program", $"ok {StudentClients.Python()} {TestPaths.Fixture("students", "good_client.py")}"], "roster");

        var rows = await new ClassReport(students, temp.Path, new LabCheckOptions { Seed = 7, Stage = "bencode-integers" }, temp.Combine("out"))
            .RunAsync(TextWriter.Null, TestContext.Current.CancellationToken);

        Assert.Contains("could not start './no-such-program'", rows[0].Error);
        Assert.True(rows[1].Results.Single().Result.Passed);
        var table = File.ReadAllText(temp.Combine("out", "class.txt"));
        Assert.Contains("error: could not start", table);
    }

    /// <summary>A class folder of git repositories: each is graded at a commit (HEAD, or the roster's '#REF'), from a
    /// local clone, so a fix the student did not commit does not count and nothing is written into their repository; a
    /// re-run keeps the grade of a commit already graded.</summary>
    [Fact]
    public async Task GitSubmissions_AreGradedAtTheirCommit_FromALocalClone()
    {
        if (FindOnPath("git") is null) Assert.Skip("git is not installed: git submissions cannot be graded here");
        using var temp = new TempFolder();
        var repo = Directory.CreateDirectory(temp.Combine("class", "ann")).FullName;
        void Git(params string[] args)
        {
            var run = ProcessRunner.Run("git", ["-C", repo, "-c", "user.name=lab", "-c", "user.email=lab@example.invalid", .. args], TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0, run.Stderr);
        }
        Git("init", "--quiet", "-b", "main");
        File.Copy(TestPaths.Fixture("students", "good_client.py"), Path.Combine(repo, "main.py"));
        Git("add", "main.py");
        Git("commit", "--quiet", "-m", "a correct client");
        Git("tag", "v1");
        File.WriteAllText(Path.Combine(repo, "main.py"), "import sys\nsys.exit(3)\n");
        Git("commit", "--quiet", "-am", "broken");
        // Fixed in the work tree, never committed: not part of the submission.
        File.Copy(TestPaths.Fixture("students", "good_client.py"), Path.Combine(repo, "main.py"), overwrite: true);
        var students = ClassRoster.Parse(["head git:class/ann", "tagged git:class/ann#v1", "folder class/ann/", "missing git:class/nobody", "badref git:class/ann#v9"], "roster");
        var options = new LabCheckOptions { Seed = 7, Stage = "bencode-integers" };

        var rows = await new ClassReport(students, temp.Path, options, temp.Combine("out")).RunAsync(TextWriter.Null, TestContext.Current.CancellationToken);

        Assert.False(rows[0].Verdicts.Single().Result == "PASS");   // HEAD is the broken commit
        Assert.Equal("PASS", rows[1].Verdicts.Single().Result);      // v1 is the correct one
        Assert.False(rows[2].Verdicts.Single().Result == "PASS");   // a folder that is a repository: its HEAD too
        Assert.Equal(ClassReport.Outcome.BuildFailed, rows[3].Status);
        Assert.Contains("does not exist", rows[3].Error);
        Assert.Equal(ClassReport.Outcome.BuildFailed, rows[4].Status);
        Assert.Contains("no commit named 'v9'", rows[4].Error);
        Assert.Contains("at commit", File.ReadAllText(temp.Combine("out", "tagged.txt")));
        Assert.Equal(["main.py"], Directory.GetFileSystemEntries(repo).Select(Path.GetFileName).Where(n => n != ".git"));

        var again = await new ClassReport(students, temp.Path, options, temp.Combine("out")).RunAsync(TextWriter.Null, TestContext.Current.CancellationToken);
        Assert.True(again[1].Cached);
        Assert.Equal("PASS", again[1].Verdicts.Single().Result);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
