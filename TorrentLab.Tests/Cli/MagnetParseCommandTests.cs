using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

[Trait("Tier", "Slow")]
public class MagnetParseCommandTests
{
    [Fact]
    public void MagnetParse_ClassroomLink_PrintsTrackerThenInfoHashFirst()
    {
        var result = CliRunner.Run(["magnet_parse",
            "magnet:?xt=urn:btih:c77829d2a77d6516F88cd7a3de1a26abcbfab0db&dn=codercat.gif&tr=http%3A%2F%2Fbittorrent-test-tracker.codecrafters.io%2Fannounce"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(
            "Tracker URL: http://bittorrent-test-tracker.codecrafters.io/announce\n" +
            "Info Hash: c77829d2a77d6516F88cd7a3de1a26abcbfab0db\n" +
            "Name: codercat.gif\n", result.Stdout);
    }

    [Fact]
    public void MagnetParse_PeersAndTrackers_AreListedAfterTheClassroomLines()
    {
        var result = CliRunner.Run(["magnet_parse",
            "magnet:?xt=urn:btih:Y54CTUVHPVSRN6EM26R54GRGVPF7VMG3&tr=http%3A%2F%2Fa%2Fannounce&tr=udp%3A%2F%2Fb%3A80&x.pe=127.0.0.1:6881"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(
            "Tracker URL: http://a/announce\n" +
            "Info Hash: c77829d2a77d6516f88cd7a3de1a26abcbfab0db\n" +
            "Trackers:\n  http://a/announce\n  udp://b:80\n" +
            "Peers:\n  127.0.0.1:6881\n", result.Stdout);
    }

    [Fact]
    public void MagnetParse_HybridLink_PrintsBothHashes()
    {
        const string v2 = "d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb";
        var result = CliRunner.Run(["magnet_parse", $"magnet:?xt=urn:btih:631a31dd0a46257d5078c0dee4e66e26f73e42ac&xt=urn:btmh:1220{v2}&dn=bittorrent-v1-v2-hybrid-test"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(
            "Tracker URL: (none)\n" +
            "Info Hash: 631a31dd0a46257d5078c0dee4e66e26f73e42ac\n" +
            $"Info Hash v2: {v2}\n" +
            "Name: bittorrent-v1-v2-hybrid-test\n", result.Stdout);
    }

    [Fact]
    public void MagnetParse_V2OnlyLink_PrintsTheTruncatedHashThenTheV2Hash()
    {
        const string v2 = "caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e";
        var result = CliRunner.Run(["magnet_parse", $"magnet:?xt=urn:btmh:1220{v2}"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal($"Tracker URL: (none)\nInfo Hash: {v2[..40]}\nInfo Hash v2: {v2} (v2-only link: Info Hash is its first 20 bytes, as on the wire)\n", result.Stdout);
    }

    [Theory]
    [InlineData("magnet:?dn=x", "error: invalid magnet link: xt: no 'xt=urn:btih:<info hash>' parameter")]
    [InlineData("magnet:?xt=urn:btmh:1220aaaa", "error: invalid magnet link: xt: v2 info hash '1220aaaa' has 4 hex digits after 1220")]
    [InlineData("magnet:?xt=urn:btih:abc", "error: invalid magnet link: xt: info hash 'abc' has 3 characters")]
    public void MagnetParse_BadLink_ExitsBadInputWithOneLine(string uri, string expected)
    {
        var result = CliRunner.Run(["magnet_parse", uri]);

        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith(expected, lines[0]);
    }
}
