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
}
