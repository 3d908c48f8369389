using System.Text.Json;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

public class SeedCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Seed_MalformedPeer_IsAUsageError()
    {
        using var folder = new TempFolder("torrentlab-seed-usage");
        var built = TestTorrents.SingleFile(length: 10_000);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));

        var result = CliRunner.Run(["seed", torrent, "--data", folder.Combine("data"), "--peer", "not-an-address"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("--peer expects HOST:PORT", result.Stderr);
    }

    [Fact]
    public async Task Seed_WithPeer_FeedsATransmissionDownloaderThatNeverDialsLoopbackSeeders()
    {
        var transmission = Interop.RequireExecutable("transmission-cli");
        using var folder = new TempFolder("torrentlab-seed-peer");
        var built = TestTorrents.SingleFile(length: 1 << 20, pieceLength: 64 * 1024);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));
        var port = ProcessRunner.FreeTcpPort();
        var config = folder.Combine("tr-config");
        Directory.CreateDirectory(config);
        Directory.CreateDirectory(folder.Combine("tr"));
        // Transmission ignores 127.x peers from trackers and waits to be dialled; ratio limit 0: it exits once complete.
        File.WriteAllText(Path.Combine(config, "settings.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bind-address-ipv4"] = "127.0.0.1", ["bind-address-ipv6"] = "::1", ["dht-enabled"] = false, ["lpd-enabled"] = false,
            ["pex-enabled"] = false, ["utp-enabled"] = false, ["port-forwarding-enabled"] = false, ["peer-port"] = port,
            ["encryption"] = 0, ["rpc-enabled"] = false, ["ratio-limit"] = 0, ["ratio-limit-enabled"] = true,
        }));
        using var downloader = new InteropProcess("transmission", ProcessRunner.Start(transmission, ["-g", config, "-w", folder.Combine("tr"), torrent]), port);
        Assert.True(ProcessRunner.WaitForTcp(port, TimeSpan.FromSeconds(15)), "Transmission is not listening");
        var seeder = ProcessRunner.Start("dotnet", [CliRunner.CliDll, "seed", torrent, "--data", folder.Combine("data"), "--port", "0",
            "--bind", "127.0.0.1", "--peer", $"127.0.0.1:{port}", "--quiet"]);
        try
        {
            var (code, output) = await downloader.WaitAsync(TimeSpan.FromSeconds(90), Ct);

            Assert.True(code == 0, output);
            Assert.Equal(built.Files[0].Data, File.ReadAllBytes(Path.Combine(folder.Combine("tr"), built.Files[0].Path)));
        }
        finally
        {
            ProcessRunner.Stop(seeder);
            seeder.Dispose();
        }
    }
}
