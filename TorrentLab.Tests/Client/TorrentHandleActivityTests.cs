using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary><see cref="TorrentHandle.ActivityVersion"/>: what Transmission calls activity (payload moved, state, settings),
/// not every report a page redraws for.</summary>
public class TorrentHandleActivityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ADownloadWaitingForPeers_ReportsAndMovesItsVersion_ButNotItsActivity_UntilItIsPaused()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(200_000, name: "waiting.bin", announce: null, seed: 5); // no tracker, no peer
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") }, start: true);
        await Wait.UntilAsync(() => handle.Progress is not null && handle.State == TorrentState.Downloading, Patience,
            $"the download never reported ({handle.State})", Ct);

        var (version, activity) = (handle.Version, handle.ActivityVersion);
        for (var i = 0; i < 3; i++) version = await handle.WaitForChangeAsync(version, Ct).WaitAsync(Patience, Ct); // three more reports
        var still = handle.ActivityVersion;
        await handle.PauseAsync();

        Assert.Equal(activity, still);
        Assert.Equal(TorrentState.Paused, handle.State);
        Assert.NotEqual(activity, handle.ActivityVersion); // a state change is activity
    }
}
