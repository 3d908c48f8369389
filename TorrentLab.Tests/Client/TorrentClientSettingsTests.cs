using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>What the front door accepts, it honours: a combination the chosen engine cannot honour is refused with a
/// clear error before anything is read or written, in the library and not only in the command line.</summary>
public class TorrentClientSettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Options the single-peer reference path (<c>MaxPeers = 1</c>) cannot honour, and the words the refusal uses.</summary>
    public static TheoryData<string, Func<DownloadOptions, DownloadOptions>, string> ReferenceRefusals => new()
    {
        { "own download limit", o => o with { DownloadLimit = new RateLimit(4 << 20) }, "rate limit" },
        { "own upload limit", o => o with { UploadLimit = new RateLimit(4 << 20) }, "rate limit" },
        { "limit under a parent", o => o with { DownloadLimit = new RateLimit(0, new RateLimit(4 << 20)) }, "rate limit" },
        { "its own session's limit", o => o with { Session = o.Session with { DownloadLimit = new RateLimit(4 << 20) } }, "rate limit" },
        { "engine named, not MaxPeers", o => o with { MaxPeers = 50, Engine = DownloadEngine.Reference, UploadLimit = new RateLimit(1) }, "rate limit" },
        { "seeding", o => o with { SeedAfterDownload = true }, "seeding" },
        { "uTP", o => o.WithSession(s => s with { Transport = PeerTransport.Utp }), "utp" },
    };

    [Theory]
    [MemberData(nameof(ReferenceRefusals))]
    public async Task DownloadAsync_SingleUnsupportedCombination_IsRefusedBeforeAnythingIsWritten(string what,
        Func<DownloadOptions, DownloadOptions> change, string words)
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        var options = change(new DownloadOptions { Session = new SessionSettings { Dht = false }, OutputDirectory = folder.Combine("out"), MaxPeers = 1 });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => TorrentClient.DownloadAsync(built.Torrent, options, null, Ct));

        Assert.Contains(words, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(folder.Combine("out")), what);
    }

    [Fact]
    public async Task DownloadAsync_SingleInASessionWithAGlobalLimit_IsRefused()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        await using var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false, DownloadLimit = new RateLimit(1 << 20),
        });
        var options = new DownloadOptions { OutputDirectory = folder.Combine("out"), MaxPeers = 1 };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => TorrentClient.DownloadAsync(session, built.Torrent, options, null, Ct));

        Assert.Contains("rate limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAsync_SingleWithUnlimitedLimits_IsNotRefusedForThem()
    {
        // An unlimited limit object (a server's, before a rate is set) asks nothing the reference path cannot do.
        using var folder = new TempFolder();
        var options = new DownloadOptions
        {
            OutputDirectory = folder.Path, MaxPeers = 1, DownloadLimit = new RateLimit(0), UploadLimit = new RateLimit(0, new RateLimit(0)),
        };
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);

        var start = await TorrentClient.PrepareAsync(null, built.Torrent, options, Ct);

        Assert.Equal(DownloadEngine.Reference, TorrentClient.EngineFor(options));
        Assert.Equal(0, start.Have.Count);
    }
}
