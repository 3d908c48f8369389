using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>--proxy</c> and <c>--proxy-only</c> on the command line: what they cannot honour is refused in one line,
/// exit 2, before any work (what they do is proven against real proxies in <c>Proxy/Socks5NamespaceTests</c>).</summary>
[Trait("Tier", "Slow")]
public class ProxyOptionTests
{
    [Theory]
    [InlineData("--proxy-only needs --proxy", "--proxy-only")]
    [InlineData("--lsd contradicts --proxy-only", "--proxy", "socks5://127.0.0.1:1080", "--proxy-only", "--lsd")]
    [InlineData("--port-mapping contradicts --proxy-only", "--proxy", "socks5://127.0.0.1:1080", "--proxy-only", "--port-mapping")]
    [InlineData("--proxy: expected socks5://[user:password@]host:port with a port, got 'socks5://***@127.0.0.1'", "--proxy", "socks5://alice:s3cret@127.0.0.1")]
    public void WhatTheProxyCannotHonour_IsRefusedInOneLine_WithoutThePassword(string expected, params string[] options)
    {
        using var folder = new TempFolder();

        var result = CliRunner.Run(["missing.torrent", "-o", folder.Combine("out"), .. options]);

        Assert.True(result.ExitCode == CliRunner.Codes.Usage, $"exit {result.ExitCode}: {result.Stderr}");
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder.Combine("out")));
    }

    [Fact]
    public void ServeRefuses_LsdWithProxyOnly()
    {
        using var folder = new TempFolder();

        var result = CliRunner.Run(["serve", "--downloads", folder.Combine("dl"), "--port", "0", "--proxy", "socks5://127.0.0.1:1080", "--proxy-only", "--lsd"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Usage, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.Contains("--lsd contradicts --proxy-only", result.Stderr, StringComparison.Ordinal);
    }
}
