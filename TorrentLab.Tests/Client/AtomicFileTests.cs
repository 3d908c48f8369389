using TorrentLab.Client;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

public class AtomicFileTests
{
    [Fact]
    public void CreateTemporary_MakesANewEmptyFile()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("x.tmp");

        using (var stream = AtomicFile.CreateTemporary(path)) stream.Write("new"u8);

        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void CreateTemporary_OneLeftByAKilledWriter_IsEmptiedAndReused()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("x.tmp");
        File.WriteAllText(path, new string('x', 10_000)); // longer than what is written now: none of it may stay

        using (var stream = AtomicFile.CreateTemporary(path)) stream.Write("new"u8);

        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void CreateTemporary_OneAnotherWriterHoldsOpen_IsRefusedAndLeftAlone()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("x.tmp");
        using (var other = AtomicFile.CreateTemporary(path))
        {
            other.Write("theirs"u8);
            other.Flush();

            Assert.Throws<IOException>(() => AtomicFile.CreateTemporary(path));
        }

        Assert.Equal("theirs", File.ReadAllText(path));
    }

    [Fact]
    public async Task WriteAsync_ReplacesTheFileAndLeavesNoTemporaryFile()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("a.torrent");
        File.WriteAllText(path, new string('o', 10_000));

        await AtomicFile.WriteAsync(path, "d4:spam4:eggse"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.Equal("d4:spam4:eggse", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(temp.Path));
    }
}
