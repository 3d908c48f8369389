using TorrentLab.Metainfo;

namespace TorrentLab.Tests.Metainfo;

public class DuplicatePathsTests
{
    [Fact]
    public void Resolve_SecondAndThirdCopies_GetNumberedBeforeTheExtension()
    {
        var paths = new List<List<string>> { new() { "t", "foo", "bar.txt" }, new() { "t", "foo", "bar.txt" }, new() { "t", "foo", "bar.txt" } };
        DuplicatePaths.Resolve(paths, [false, false, false]);
        Assert.Equal(["t/foo/bar.txt", "t/foo/bar.1.txt", "t/foo/bar.2.txt"], paths.Select(p => string.Join('/', p)));
    }

    [Fact]
    public void Resolve_RenamedNameAlreadyTaken_SkipsToTheNextNumber()
    {
        var paths = new List<List<string>> { new() { "t", "a" }, new() { "t", "a.1" }, new() { "t", "a" } };
        DuplicatePaths.Resolve(paths, [false, false, false]);
        Assert.Equal(["t/a", "t/a.1", "t/a.2"], paths.Select(p => string.Join('/', p)));
    }

    [Fact]
    public void Resolve_FileNamedLikeAFolder_IsRenamed()
    {
        var paths = new List<List<string>> { new() { "t", "a" }, new() { "t", "a", "b" } };
        DuplicatePaths.Resolve(paths, [false, false]);
        Assert.Equal(["t/a.1", "t/a/b"], paths.Select(p => string.Join('/', p)));
    }

    [Fact]
    public void Resolve_PadFiles_AreLeftAlone()
    {
        var paths = new List<List<string>> { new() { ".pad", "5" }, new() { ".pad", "5" } };
        DuplicatePaths.Resolve(paths, [true, true]);
        Assert.Equal([".pad/5", ".pad/5"], paths.Select(p => string.Join('/', p)));
    }

    [Fact]
    public void Resolve_MoreThanTheLimit_Throws()
    {
        var paths = Enumerable.Range(0, DuplicatePaths.MaxDuplicates + 2).Select(_ => new List<string> { "t", "x" }).ToList();
        var error = Assert.Throws<MetainfoException>(() => DuplicatePaths.Resolve(paths, paths.Select(_ => false).ToList()));
        Assert.Equal($"info.files[{DuplicatePaths.MaxDuplicates + 1}].path", error.KeyPath);
    }
}
