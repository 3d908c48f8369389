using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Peer rules against a real client (python3-libtorrent on loopback): an honest downloader that takes the whole
/// torrent from us is never taken for a progress liar, and its client (peer id <c>-LT</c>) is banned by that rule only.</summary>
[Trait("Tier", "Slow")]
public class PeerRulesInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A seed of <paramref name="built"/> on loopback, with <paramref name="rules"/>, no DHT.</summary>
    private static Task<Seeder> SeedAsync(TestTorrents.Built built, string data, IEnumerable<string> rules) =>
        Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false, ClientBans = new ClientBanList(rules),
            },
            OutputDirectory = data,
        }, ct: Ct);

    [Fact]
    public async Task AnHonestLibtorrentDownloader_TakesTheWholeTorrentFromUs_AndIsNeverTakenForALiar()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-rules-lt");
        // 64 MiB: twice the 32 MiB a peer may take while its claims stay flat; past that the 2x rule is what holds.
        var built = TestTorrents.SingleFile(length: 64 * 1024 * 1024, pieceLength: 256 * 1024, name: "rules.bin", announce: null, seed: 5);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        await using var seeder = await SeedAsync(built, folder.Combine("seed"), ["Xunlei", "-XL0012-"]);

        using var lt = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("lt"), folder.Path, $$"""{"_dial": {{seeder.Port}}}""");
        var (code, output) = await lt.WaitAsync(InteropProcess.DownloaderPatience, Ct);

        Assert.True(code == 0, $"libtorrent: {output}; bad peers: {string.Join("; ", seeder.BadPeers)}");
        Assert.Equal(built.Payload, await File.ReadAllBytesAsync(folder.Combine("lt", "rules.bin"), Ct));
        Assert.Empty(seeder.BadPeers);
        Assert.True(seeder.Uploaded >= built.Payload.Length, $"uploaded {seeder.Uploaded} of {built.Payload.Length}");
    }

    [Fact]
    public async Task ALibtorrentPeer_IsBannedByTheRuleLT_AndServedWithoutIt()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-rules-lt-id");
        var built = TestTorrents.SingleFile(length: 2 * 1024 * 1024, pieceLength: 64 * 1024, name: "lt-id.bin", announce: null, seed: 6);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));

        string banned;
        await using (var banning = await SeedAsync(built, folder.Combine("seed"), ["id:-LT"]))
        {
            using var refused = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("refused"), folder.Path, $$"""{"_dial": {{banning.Port}}}""");
            await Wait.UntilAsync(() => banning.BadPeers.Count > 0, TimeSpan.FromSeconds(60), Ct);
            banned = Assert.Single(banning.BadPeers);
            Assert.Equal(0, banning.Uploaded);
        }
        await using var serving = await SeedAsync(built, folder.Combine("seed"), ["id:-lt", "-XL0012-"]); // rtorrent's libtorrent, not rasterbar's
        using var served = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("served"), folder.Path, $$"""{"_dial": {{serving.Port}}}""");
        var (code, output) = await served.WaitAsync(InteropProcess.DownloaderPatience, Ct);

        Assert.Contains(": client banned by rule 'id:-LT' (peer id -LT", banned, StringComparison.Ordinal);
        Assert.True(code == 0, $"libtorrent: {output}");
        Assert.Equal(built.Payload, await File.ReadAllBytesAsync(folder.Combine("served", "lt-id.bin"), Ct));
        Assert.Empty(serving.BadPeers);
    }
}
