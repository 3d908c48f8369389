using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

// The main command with a magnet link that names only its info hash: peers from the DHT node given by --dht-bootstrap.
public partial class DownloadCommandTests
{
    [Fact]
    public async Task MainCommand_XtOnlyMagnet_DownloadsThroughTheDht_AndVerboseCountsTheDhtPeers()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], name: "album", announce: null);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var seeder = await LocalDht.SeedAsync(built, folder.Combine("seed"), bootstrap, Ct);

        var result = await CliRunner.RunAsync([$"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}", "-o", folder.Combine("out"), "--port", "0",
            "--dht-bootstrap", bootstrap.LocalEndPoint!.ToString(), "--verbose", "--quiet"], TimeSpan.FromSeconds(120));

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        foreach (var (path, data) in built.Files) Assert.Equal(data, File.ReadAllBytes(folder.Combine("out", path)));
        Assert.Matches(@"peers from: tracker 0, dht [1-9]\d*, pex \d+, lsd 0, given 0", result.Stderr);
    }

    [Fact]
    public void MainCommand_BadDhtBootstrap_IsAUsageError()
    {
        using var folder = new TempFolder();
        var torrent = TestTorrents.SingleFile(announce: null).WriteTorrent(folder.Path);

        var result = CliRunner.Run([torrent, "-o", folder.Combine("out"), "--dht-bootstrap", "nohost"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal("error: --dht-bootstrap expects HOST:PORT (e.g. 127.0.0.1:6881, [::1]:6881, localhost:6881) with a port in 1..65535, got 'nohost' (see 'torrentlab --help')\n", result.Stderr);
    }
}
