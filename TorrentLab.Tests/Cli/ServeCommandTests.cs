using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab serve</c>'s arguments, checked before anything listens.</summary>
[Trait("Tier", "Slow")]
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

    [Theory]
    [InlineData("--max-active", "0", "--max-active must be 1..1000")]
    [InlineData("--seed-ratio", "-1", "--seed-ratio must be 0 or more")]
    [InlineData("--seed-time", "-5", "--seed-time must be 0 or more minutes")]
    public void Serve_QueueOrSeedLimitOutOfRange_IsAUsageError(string option, string value, string message)
    {
        using var downloads = new TempFolder();

        var result = CliRunner.Run(["serve", "--port", "0", "--downloads", downloads.Path, option, value]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }
}
