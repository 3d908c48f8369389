using TorrentLab.Proxy;

namespace TorrentLab.Tests.Proxy;

/// <summary>The public proxy setting: its URL read and shown without the password.</summary>
public class Socks5ProxyTests
{
    [Theory]
    [InlineData("socks5://127.0.0.1:1080", "127.0.0.1", 1080, null, null)]
    [InlineData("socks5h://proxy.example:9050", "proxy.example", 9050, null, null)]
    [InlineData("socks5://alice:s3cret@[::1]:1080", "::1", 1080, "alice", "s3cret")]
    [InlineData("socks5://al%40ce:p%3Ass@10.0.0.1:1", "10.0.0.1", 1, "al@ce", "p:ss")] // percent-encoded ':' and '@'
    public void Parse_ReadsHostPortUserAndPassword(string url, string host, int port, string? user, string? password)
    {
        var proxy = Socks5Proxy.Parse(url);

        Assert.Equal((host, port, user, password, false), (proxy.Host, proxy.Port, proxy.UserName, proxy.Password, proxy.Only));
    }

    [Theory]
    [InlineData("http://127.0.0.1:1080")] // another scheme
    [InlineData("socks4://127.0.0.1:1080")]
    [InlineData("socks5://127.0.0.1")] // no port
    [InlineData("socks5://127.0.0.1:0")]
    [InlineData("socks5://127.0.0.1:1080/path")]
    [InlineData("127.0.0.1:1080")]
    [InlineData("socks5://alice@127.0.0.1:1080")] // a user without a password
    [InlineData("socks5://alice:@127.0.0.1:1080")]
    public void Parse_AnythingElse_IsRefusedInOneLine_WithoutThePassword(string url)
    {
        var error = Assert.Throws<FormatException>(() => Socks5Proxy.Parse(url));

        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains(url.Contains('@') ? "***" : url, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_ShowsTheUrlWithThePasswordHidden()
    {
        Assert.Equal("socks5://alice:***@127.0.0.1:1080", Socks5Proxy.Parse("socks5://alice:s3cret@127.0.0.1:1080").ToString());
        Assert.Equal("socks5://[::1]:1080", new Socks5Proxy("::1", 1080).ToString());
    }

    [Theory]
    [InlineData("", 1080)]
    [InlineData("127.0.0.1", 0)]
    [InlineData("127.0.0.1", 65536)]
    public void Constructor_NoHostOrAPortOutOfRange_IsRefused(string host, int port) =>
        Assert.ThrowsAny<ArgumentException>(() => new Socks5Proxy(host, port));
}
