using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>A torrent handle against a python3-libtorrent seeder: a magnet link with only an <c>x.pe</c> peer and a
/// <c>so=</c> selection added through <see cref="TorrentSession.AddAsync"/>, then paused, its priorities changed,
/// resumed and rechecked while it runs.</summary>
[Trait("Tier", "Slow")]
public class TorrentHandleInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static async Task WaitForAsync(TorrentHandle handle, Func<TorrentHandle, bool> condition, string what) =>
        Assert.True(await CountingTimeProvider.EventuallyAsync(() => condition(handle), Patience), $"{what}: {handle} ({handle.Error})");

    [Fact]
    public async Task AddAsync_MagnetFromLibtorrent_PausedReprioritisedResumedAndRechecked_EndsWithEveryFile()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-handle-lt");
        var built = TestTorrents.MultiFile([("a.bin", 700_001), ("b.bin", 900_003), ("c.bin", 500_007)], pieceLength: 64 * 1024, name: "three", announce: null, seed: 71);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // 256 KiB/s: about 6 s for the selected files, so the handle is paused while it downloads.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct,
            uploadLimit: 256 * 1024, settings: LibtorrentSeeder.UtMetadata);
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var magnet = $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&x.pe=127.0.0.1:{seeder.Port}&so=0,1";

        var handle = await session.AddAsync(magnet, new DownloadOptions { OutputDirectory = folder.Combine("out") }, Ct);
        Assert.Equal([FilePriority.Normal, FilePriority.Normal, FilePriority.Skip], handle.FilePriorities);
        await WaitForAsync(handle, h => h.PiecesDone > 0 && h.State == TorrentState.Downloading, "never downloading");

        await handle.PauseAsync().WaitAsync(Patience, Ct);
        Assert.Equal(TorrentState.Paused, handle.State);
        Assert.Equal(0, session.Session.TorrentCount);
        await handle.SetFilePrioritiesAsync([FilePriority.Normal, FilePriority.Normal, FilePriority.High]).WaitAsync(Patience, Ct);
        Assert.Equal(TorrentState.Paused, handle.State); // a paused torrent stays paused through a change
        await handle.ResumeAsync();
        await WaitForAsync(handle, h => h.State == TorrentState.Downloading, "never downloading again");
        await handle.RecheckAsync(Ct).WaitAsync(Patience, Ct); // on the running torrent: it goes on from what verifies

        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "never completed");
        foreach (var (path, data) in built.Files) Assert.Equal(data, File.ReadAllBytes(Path.Combine(folder.Combine("out"), path)));
    }
}
