using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab serve</c>'s arguments, checked before anything listens.</summary>
public class ServeCommandTests
{
    [Theory]
    [InlineData("nas.example:8080")] // a port belongs to --port, not to a name
    [InlineData("http://nas.example")]
    [InlineData("*.example")]
    public void Serve_AllowedHostThatIsNoHostName_IsAUsageError(string name)
    {
        using var downloads = new TempFolder();

        var result = CliRunner.Run(["serve", "--port", "0", "--downloads", downloads.Path, "--allowed-host", name]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains($"--allowed-host expects a host name or IP address without a port, got '{name}'", result.Stderr);
    }
}
