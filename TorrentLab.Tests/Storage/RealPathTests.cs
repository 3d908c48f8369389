using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Storage;

public class RealPathTests
{
    [Fact]
    public void Resolve_ChainOfRelativeAndAbsoluteLinks_GivesTheFinalTarget()
    {
        using var temp = new TempFolder();
        var real = RealPath.Resolve(temp.Path); // the temp folder itself may sit below a link
        Directory.CreateDirectory(temp.Combine("x", "y"));
        File.WriteAllText(temp.Combine("x", "y", "f"), "data");
        Directory.CreateSymbolicLink(temp.Combine("d1"), "x");
        File.CreateSymbolicLink(temp.Combine("l1"), "d1/y/../y/f");
        File.CreateSymbolicLink(temp.Combine("l2"), temp.Combine("l1"));

        Assert.Equal(Path.Combine(real, "x", "y", "f"), RealPath.Resolve(temp.Combine("l2")));
    }

    [Fact]
    public void Resolve_DotDotAfterALinkedFolder_ClimbsFromTheTarget()
    {
        using var temp = new TempFolder();
        var real = RealPath.Resolve(temp.Path);
        Directory.CreateDirectory(temp.Combine("far", "away"));
        Directory.CreateDirectory(temp.Combine("near"));
        Directory.CreateSymbolicLink(temp.Combine("near", "jump"), temp.Combine("far", "away"));

        // Lexically near/jump/.. is "near"; really it is "far".
        Assert.Equal(Path.Combine(real, "far"), RealPath.Resolve(temp.Combine("near", "jump", "..")));
    }

    [Fact]
    public void Resolve_LinkLoop_Throws()
    {
        using var temp = new TempFolder();
        File.CreateSymbolicLink(temp.Combine("a"), "b");
        File.CreateSymbolicLink(temp.Combine("b"), "a");

        var error = Assert.Throws<StorageException>(() => RealPath.Resolve(temp.Combine("a")));
        Assert.Contains("loop", error.Message);
    }

    [Theory]
    [InlineData("/data/in/a", "/data/in", true)]
    [InlineData("/data/in/sub/a", "/data/in/", true)]
    [InlineData("/data/in", "/data/in", false)]       // the folder itself is not below itself
    [InlineData("/data/inside/a", "/data/in", false)] // a sibling sharing the prefix
    [InlineData("/data/a", "/data/in", false)]
    public void IsBelow_ComparesWholeSegments(string path, string folder, bool expected)
    {
        Assert.Equal(expected, RealPath.IsBelow(path, folder));
    }
}
