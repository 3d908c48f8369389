using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

public class ClassRosterTests
{
    [Fact]
    public void Parse_SkipsCommentsAndBlankLines_AndSplitsQuotedWords()
    {
        var students = ClassRoster.Parse(["# the class", "", "alice  python3 alice/client.py", "bob node \"bob/my client.js\" --x 'a b'"], "roster");

        Assert.Equal(["alice", "bob"], students.Select(s => s.Name));
        Assert.Equal(["python3", "alice/client.py"], students[0].Command);
        Assert.Equal(["node", "bob/my client.js", "--x", "a b"], students[1].Command);
        Assert.Equal(4, students[1].Line);
    }

    [Theory]
    [InlineData("alice", "roster:1: expected 'name command...'")]
    [InlineData("al/ice python3 x.py", "a student's name is letters, digits")]
    [InlineData("alice python3 'x.py", "roster:1: a quote is not closed")]
    [InlineData("# nobody", "no student listed")]
    public void Parse_BadRoster_SaysWhereAndWhat(string line, string message)
    {
        var e = Assert.Throws<LabException>(() => ClassRoster.Parse([line], "roster"));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Parse_RepeatedName_NamesTheFirstLine()
    {
        var e = Assert.Throws<LabException>(() => ClassRoster.Parse(["alice a", "Alice b"], "roster"));

        Assert.Contains("roster:2: the name 'Alice' is already used on line 1", e.Message);
    }

    [Fact]
    public void Parse_GitLine_NamesTheRepositoryAndTheReference()
    {
        var students = ClassRoster.Parse(["ann git:repos/ann", "bob git:repos/bob#v2"], "roster");

        Assert.True(students[0].Git);
        Assert.Equal("repos/ann", students[0].Folder);
        Assert.Null(students[0].GitReference);
        Assert.Equal("v2", students[1].GitReference);
    }

    [Theory]
    [InlineData("ann git:https://example.invalid/ann.git", "is not a local path")]   // a URL: the lab never fetches
    [InlineData("ann git:host:ann.git", "is not a local path")]                      // git's scp-like form: ssh
    [InlineData("ann git:repos/ann#", "expected 'git:PATH' or 'git:PATH#REF'")]
    [InlineData("ann git:repos/ann#--upload-pack=x", "expected 'git:PATH' or 'git:PATH#REF'")]   // a reference is never an option
    public void Parse_GitLineThatIsNotALocalRepository_IsRefused(string line, string message)
    {
        var e = Assert.Throws<LabException>(() => ClassRoster.Parse([line], "roster"));

        Assert.Contains(message, e.Message);
    }
}
