using System.Text;
using TorrentLab.Metainfo;

namespace TorrentLab.Tests.Metainfo;

public class PathSanitizerTests
{
    [Theory]
    [InlineData("bar.txt", "bar.txt")]
    [InlineData("", "_")]                        // empty segment
    [InlineData("/", "_")]                       // only a separator (libtorrent slash_path: temp/_/_/bar)
    [InlineData("\\", "_")]
    [InlineData("/foobar", "foobar")]            // absolute path: the leading separator goes
    [InlineData("abc/../../def", "abc....def")]  // separators inside a segment vanish, so ".." cannot climb
    [InlineData("temp/../../abc", "temp....abc")]
    [InlineData("a\u0001b\tc", "a_b_c")]         // control characters
    [InlineData("exe.\u202Egpj", "exe.gpj")]     // right-to-left override removed
    [InlineData("C:", "C:")]                     // a drive letter is a plain name on POSIX
    [InlineData("foobar ", "foobar ")]           // trailing space kept on POSIX (libtorrent invalid_name3)
    [InlineData("日本語.txt", "日本語.txt")]
    public void SanitizeSegment_Posix_GivesLibtorrentsName(string input, string expected) =>
        Assert.Equal(expected, PathSanitizer.SanitizeSegment(Encoding.UTF8.GetBytes(input), windows: false));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("/..")]                          // becomes ".." after the separator goes: still dropped
    public void SanitizeSegment_DotOrDotDot_IsDropped(string input) =>
        Assert.Null(PathSanitizer.SanitizeSegment(Encoding.UTF8.GetBytes(input), windows: false));

    [Theory]
    [InlineData("C:", "C_")]                     // no drive letters on Windows
    [InlineData("a?b*c", "a_b_c")]
    [InlineData("foobar ", "foobar")]            // Windows strips trailing spaces and dots itself
    [InlineData("name...", "name")]
    public void SanitizeSegment_Windows_AlsoDefusesReservedCharacters(string input, string expected) =>
        Assert.Equal(expected, PathSanitizer.SanitizeSegment(Encoding.UTF8.GetBytes(input), windows: true));

    [Fact]
    public void SanitizeSegment_InvalidUtf8_BecomesUnderscore() =>
        Assert.Equal("_estMB", PathSanitizer.SanitizeSegment([0x82, (byte)'e', (byte)'s', (byte)'t', (byte)'/', (byte)'M', (byte)'B'], windows: false));

    [Fact]
    public void SanitizeSegment_LongName_IsCutAt240BytesKeepingTheExtension()
    {
        var name = new string('a', 300) + ".mkv";
        var result = PathSanitizer.SanitizeSegment(Encoding.UTF8.GetBytes(name), windows: false)!;
        Assert.Equal(new string('a', 240) + ".mkv", result);
    }

    [Fact]
    public void SanitizePath_NothingLeft_GivesUnderscore() =>
        Assert.Equal(["_"], PathSanitizer.SanitizePath([Encoding.UTF8.GetBytes("."), Encoding.UTF8.GetBytes("..")]));

    [Fact]
    public void SanitizePath_ParentSegments_AreDropped() =>
        Assert.Equal(["bar"], PathSanitizer.SanitizePath([Encoding.UTF8.GetBytes(".."), Encoding.UTF8.GetBytes(".."), Encoding.UTF8.GetBytes("bar")]));

    [Fact]
    public void SanitizedPaths_NeverLeaveTheOutputFolder()
    {
        // Every hostile segment we know of, joined below an output folder, stays inside it.
        var hostile = new[] { "..", ".", "", "/", "\\", "/etc/passwd", "..\\..\\x", "C:\\Windows", "a/../../b", "\0", "~", "..." };
        var root = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "out"));
        foreach (var a in hostile)
            foreach (var b in hostile)
            {
                var segments = PathSanitizer.SanitizePath([Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b)]);
                var full = Path.GetFullPath(Path.Combine([root, .. segments]));
                Assert.StartsWith(root + Path.DirectorySeparatorChar, full);
            }
    }
}
