using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The token rule: loopback may run without a token; any other address must have one.</summary>
public class WebServerOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)] // all of 127.0.0.0/8 is loopback
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("localhost", true)]
    [InlineData("0.0.0.0", false)]   // every interface
    [InlineData("::", false)]
    [InlineData("192.168.1.20", false)]
    [InlineData("example.org", false)] // a name could resolve anywhere
    public void IsLoopback_Host_TellsLoopbackFromEverythingElse(string host, bool loopback) =>
        Assert.Equal(loopback, WebServerOptions.IsLoopback(host));

    [Theory]
    [InlineData("/torrents", true)]
    [InlineData("/apps/torrent-lab_2.v~1", true)]
    [InlineData("torrents", false)]     // not below the root
    [InlineData("/torrents/", false)]   // the page is at /torrents/: the path itself has no slash at its end
    [InlineData("/", false)]
    [InlineData("/a//b", false)]
    [InlineData("/a/../b", false)]
    [InlineData("/a b", false)]
    [InlineData("/a?b", false)]
    public void IsBasePath_TakesAPathOfPlainSegmentsOnly(string path, bool valid)
    {
        Assert.Equal(valid, WebServerOptions.IsBasePath(path));
        var options = new WebServerOptions { Downloads = "d", BasePath = path };
        if (valid) options.Validate();
        else Assert.Throws<ArgumentException>(options.Validate);
    }

    [Fact]
    public void RequiresToken_NonLoopbackHost_IsTrueEvenWhenNotAsked() =>
        Assert.True(new WebServerOptions { Downloads = "d", Host = "0.0.0.0" }.RequiresToken);

    [Fact]
    public void RequiresToken_LoopbackHost_IsTrueOnlyWhenAsked()
    {
        Assert.False(new WebServerOptions { Downloads = "d" }.RequiresToken);
        Assert.True(new WebServerOptions { Downloads = "d", RequireToken = true }.RequiresToken);
    }

    [Fact]
    public void Validate_NonLoopbackHostWithoutToken_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new WebServerOptions { Downloads = "d", Host = "0.0.0.0" }.Validate());
        Assert.Contains("token", error.Message);
    }

    [Fact]
    public void Generate_Token_IsLongUrlSafeAndFreshEachTime()
    {
        var a = TokenGate.Generate();
        var b = TokenGate.Generate();
        Assert.Equal(43, a.Length); // 32 random bytes
        Assert.Matches("^[A-Za-z0-9_-]+$", a);
        Assert.NotEqual(a, b);
    }
}
