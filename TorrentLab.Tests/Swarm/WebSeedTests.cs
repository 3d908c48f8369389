using TorrentLab.Client;
using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using Fault = TorrentLab.Tests.Infrastructure.WebSeedServer.Fault;

namespace TorrentLab.Tests.Swarm;

/// <summary>Web seeds (BEP 19, <c>Swarm/WebSeed.cs</c>): torrents whose <c>url-list</c> points at an HTTP server in the
/// test, on 127.0.0.1, with and without peers, and servers that fail.</summary>
[Trait("Tier", "Slow")]
public class WebSeedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly (string[] Path, int Length)[] MultiFiles = [(["one.bin"], 700_000), (["sub", "two.bin"], 500_001), (["three.bin"], 1234)];

    /// <summary>A torrent of <paramref name="files"/> with the given web seed, and its payload written below <paramref name="folder"/>.</summary>
    private static (Torrent Torrent, List<(string Path, byte[] Data)> Files) Build(string name, (string[] Path, int Length)[] files,
        string webSeed, string folder, bool multi)
    {
        var contents = files.Select((f, i) => (f.Path, Data: TestTorrents.Payload(f.Length, 40 + i))).ToList();
        var options = new TorrentCreateOptions { PieceLength = 64 * 1024, WebSeeds = [webSeed], CreationDate = null };
        var bytes = multi
            ? TorrentBuilder.Create(name, [.. contents.Select(c => ((IReadOnlyList<string>)c.Path, (ReadOnlyMemory<byte>)c.Data))], options)
            : TorrentBuilder.Create(name, contents[0].Data, options);
        var written = new List<(string, byte[])>();
        foreach (var (path, data) in contents)
        {
            var relative = multi ? Path.Combine([name, .. path]) : name;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, relative))!);
            File.WriteAllBytes(Path.Combine(folder, relative), data);
            written.Add((relative, data));
        }
        File.WriteAllBytes(Path.Combine(folder, "..", name + ".torrent"), bytes);
        return (Torrent.Parse(bytes), written);
    }

    private static DownloadOptions Options(string output, ConcurrentQueue<string> log, params IPEndPoint[] peers) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            BindAddresses = [IPAddress.Loopback],
            Dht = false,
        },
        OutputDirectory = output,
        ExtraPeers = peers,
        StallTimeout = TimeSpan.FromSeconds(30),
        Log = log.Enqueue,
    };

    /// <summary>Our own seeder on 127.0.0.1 over the same data the server serves: the peer beside the web seed.</summary>
    private static Task<Seeder> StartPeerAsync(Torrent torrent, string data, bool allowPartial = false, params IPEndPoint[] dials) =>
        Seeder.StartAsync(torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Dht = false,
            },
            OutputDirectory = data,
            ExtraPeers = dials,
        }, allowPartial, Ct);

    private static void AssertFiles(IEnumerable<(string Path, byte[] Data)> files, string output)
    {
        foreach (var (path, data) in files)
            Assert.True(File.Exists(Path.Combine(output, path)) && File.ReadAllBytes(Path.Combine(output, path)).AsSpan().SequenceEqual(data), $"{path} differs");
    }

    [Fact]
    public async Task Download_SingleFileWithOnlyAWebSeed_CompletesFromTheServer()
    {
        using var folder = new TempFolder("torrentlab-webseed-single");
        Directory.CreateDirectory(folder.Combine("www"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), Fault.None, Ct);
        var (torrent, files) = Build("alone.bin", [(["alone.bin"], 1_000_003)], server.Url + "/files/alone.bin", folder.Combine("www"), multi: false);
        var log = new ConcurrentQueue<string>();

        var result = await TorrentClient.DownloadAsync(torrent, Options(folder.Combine("out"), log), null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        AssertFiles(files, folder.Combine("out"));
        Assert.Contains(server.Url + "/files/alone.bin", result.PeersUsed);
        Assert.True(server.Requests > 0);
    }

    [Theory]
    [InlineData("/files/")] // BEP 19: a URL ending in '/' gets the name and path appended
    [InlineData("/files")]  // without the slash, a multi-file torrent's URL is a folder all the same
    public async Task Download_MultiFileWithOnlyAWebSeed_FetchesEachFileByNameAndPath(string suffix)
    {
        using var folder = new TempFolder("torrentlab-webseed-multi");
        Directory.CreateDirectory(folder.Combine("www"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), Fault.None, Ct);
        var (torrent, files) = Build("multi web", MultiFiles, server.Url + suffix, folder.Combine("www"), multi: true);
        var log = new ConcurrentQueue<string>();

        await TorrentClient.DownloadAsync(torrent, Options(folder.Combine("out"), log), null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        AssertFiles(files, folder.Combine("out")); // "multi web" travels as multi%20web
    }

    [Fact]
    public async Task Download_ServerSendsWrongBytesOnce_PieceFailsIsFetchedAgainAndTheServerBacksOff()
    {
        // The web seed alone (a peer beside it could finish the download before the wrong bytes arrive), on a manual
        // clock: the bad piece is logged, the server backed off, and after the back-off the piece is fetched again.
        using var folder = new TempFolder("torrentlab-webseed-wrong");
        Directory.CreateDirectory(folder.Combine("www"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), Fault.WrongBytesOnce, Ct);
        var (torrent, files) = Build("wrong.bin", [(["wrong.bin"], 2_000_000)], server.Url + "/files/wrong.bin", folder.Combine("www"), multi: false);
        var log = new ConcurrentQueue<string>();
        var clock = new ManualClock();
        // Virtual time runs ahead of the machine below: no stall in it may end the download while a loaded machine
        // still hashes what arrived.
        var options = Options(folder.Combine("out"), log) with { StallTimeout = TimeSpan.FromHours(1) };
        var backOff = TimeSpan.FromSeconds(2);

        var run = TorrentClient.DownloadAsync(torrent, options with { Session = options.Session with { Time = clock } }, null, Ct);

        Assert.True(await Wait.UntilAsync(() => clock.PendingTimers.Contains(backOff), TimeSpan.FromSeconds(60), Ct),
            string.Join("\n", log));
        Assert.Contains(log, l => l.Contains("failed its SHA-1 check (sent by web seed", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("failed its hash check; backing off 2 s", StringComparison.Ordinal));
        Assert.False(run.IsCompleted);
        // From here the clock is driven to each next timer (the back-off, the web seed's idle polls while pieces are
        // checked, a second back-off if a later piece of the bad answer fails its check) until the download ends.
        var finished = await Wait.UntilAsync(() =>
        {
            if (run.IsCompleted) return true;
            if (clock.PendingTimers is [var next, ..]) clock.Advance(next);
            return false;
        }, TimeSpan.FromSeconds(60), Ct);
        Assert.True(finished, "the download did not finish after the back-off:\n" + string.Join("\n", log));
        await run;

        AssertFiles(files, folder.Combine("out"));
        Assert.True(server.Requests >= 2); // the piece that failed was asked again
    }

    [Theory]
    [InlineData(Fault.NotFound, "HTTP 404 Not Found for bytes")]
    [InlineData(Fault.ServerError, "HTTP 500 Internal Server Error for bytes")]
    [InlineData(Fault.ShortBody, "")] // a cut connection: "closed after N of M bytes" or the transport's own error
    public async Task Download_ServerFailsItsFirstRequest_IsBackedOffThenCompletesTheDownloadAlone(Fault fault, string reason)
    {
        using var folder = new TempFolder("torrentlab-webseed-fail");
        Directory.CreateDirectory(folder.Combine("www"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), fault, Ct);
        var (torrent, files) = Build("fail.bin", [(["fail.bin"], 500_000)], server.Url + "/files/fail.bin", folder.Combine("www"), multi: false);
        var log = new ConcurrentQueue<string>();
        var clock = new ManualClock(); // the back-off passes in virtual time
        var options = Options(folder.Combine("out"), log);
        var backOff = TimeSpan.FromSeconds(2);

        var run = TorrentClient.DownloadAsync(torrent, options with { Session = options.Session with { Time = clock } }, null, Ct);

        // No other source: once the failure is logged and the back-off armed, nothing is asked until it has passed.
        Assert.True(await Wait.UntilAsync(() => clock.PendingTimers.Contains(backOff), TimeSpan.FromSeconds(60), Ct),
            string.Join("\n", log));
        Assert.Contains(log, l => l.StartsWith($"web seed {server.Url}/files/fail.bin: ", StringComparison.Ordinal)
            && l.Contains(reason, StringComparison.Ordinal) && l.EndsWith("backing off 2 s", StringComparison.Ordinal));
        var asked = server.Requests;
        clock.Advance(backOff - TimeSpan.FromMilliseconds(1));
        Assert.Equal(asked, server.Requests);
        Assert.False(run.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await run.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        AssertFiles(files, folder.Combine("out"));
        Assert.DoesNotContain(log, l => l.Contains("   at ", StringComparison.Ordinal)); // no stack trace
    }

    /// <summary>Issue 39, finding 6: a server that ignores Range stalled the download after the first piece, and the
    /// stall named no web seed.</summary>
    [Fact]
    public async Task Download_OnlyAWebSeedThatIgnoresRange_IsDroppedAfterItsFirstAnswerAndTheStallNamesIt()
    {
        using var folder = new TempFolder("torrentlab-webseed-norange");
        Directory.CreateDirectory(folder.Combine("www"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), Fault.IgnoresRange, Ct);
        var (torrent, _) = Build("whole.bin", [(["whole.bin"], 3_000_000)], server.Url + "/files/whole.bin", folder.Combine("www"), multi: false);
        var log = new ConcurrentQueue<string>();
        var options = Options(folder.Combine("out"), log) with { StallTimeout = TimeSpan.FromSeconds(2) };

        var error = await Assert.ThrowsAsync<DownloadFailedException>(() => TorrentClient.DownloadAsync(torrent, options, null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct));

        Assert.Contains($"web seed {server.Url}/files/whole.bin dropped: the server ignores HTTP Range requests", error.Message);
        Assert.Contains(log, l => l.StartsWith($"web seed {server.Url}/files/whole.bin dropped: the server ignores HTTP Range requests", StringComparison.Ordinal));
        Assert.Equal(1, server.Requests); // asked once: the whole file came back, so it was not asked again
    }

    [Fact]
    public async Task Download_WebSeedThatIgnoresRangeBesideAPeer_IsDroppedAndThePeerServesTheRest()
    {
        using var folder = new TempFolder("torrentlab-webseed-norange-peer");
        Directory.CreateDirectory(folder.Combine("www"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), Fault.IgnoresRange, Ct);
        var (torrent, files) = Build("whole.bin", [(["whole.bin"], 3_000_000)], server.Url + "/files/whole.bin", folder.Combine("www"), multi: false);
        var log = new ConcurrentQueue<string>();
        bool Dropped() => log.Any(l => l.StartsWith($"web seed {server.Url}/files/whole.bin dropped: the server ignores HTTP Range requests", StringComparison.Ordinal));
        var options = Options(folder.Combine("out"), log);
        var port = ProcessRunner.FreeTcpPort();
        var download = TorrentClient.DownloadAsync(torrent, options with { Session = options.Session with { ListenPort = port } }, null, Ct);

        // The peer comes once the web seed's first answer was read and judged: given from the start, it could deliver
        // every piece first on a loaded machine (the download then ends with the web seed's request unanswered, and
        // nothing dropped). It dials the downloader, which knows of no peer.
        await Wait.UntilAsync(() => Dropped() || download.IsCompleted, TimeSpan.FromSeconds(60), Ct);
        if (download.IsFaulted) await download; // its own failure, said as it is
        Assert.True(Dropped(), $"the web seed was not dropped: {string.Join(" | ", log)}");
        await using var seeder = await StartPeerAsync(torrent, folder.Combine("www"), dials: new IPEndPoint(IPAddress.Loopback, port));
        await download.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        AssertFiles(files, folder.Combine("out"));
    }

    [Theory]
    [InlineData("http://0.0.0.0:1/x.bin")]     // unspecified
    [InlineData("http://224.0.0.1:1/x.bin")]   // multicast
    [InlineData("http://169.254.1.1:1/x.bin")] // link-local
    [InlineData("ftp://127.0.0.1/x.bin")]      // not http
    public async Task Download_WebSeedWeMayNotUse_IsRefusedAndThePeerServesEverything(string url)
    {
        using var folder = new TempFolder("torrentlab-webseed-refused");
        Directory.CreateDirectory(folder.Combine("www"));
        var (torrent, files) = Build("refused.bin", [(["refused.bin"], 300_000)], url, folder.Combine("www"), multi: false);
        await using var seeder = await StartPeerAsync(torrent, folder.Combine("www"));
        var log = new ConcurrentQueue<string>();

        await TorrentClient.DownloadAsync(torrent, Options(folder.Combine("out"), log, new IPEndPoint(IPAddress.Loopback, seeder.Port)), null, Ct)
            .WaitAsync(TimeSpan.FromSeconds(60), Ct);

        AssertFiles(files, folder.Combine("out"));
        // An ftp URL is skipped at start; a refused host fails its first request (WebSeedSourceTests), whose log line
        // may come after the peer has already finished.
        if (url.StartsWith("ftp", StringComparison.Ordinal)) Assert.Contains(log, l => l.Contains("skipped: only http and https URLs are used", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Download_MagnetWithWsAndMetadataFromAPartialPeer_GetsTheRestFromTheWebSeed()
    {
        using var folder = new TempFolder("torrentlab-webseed-magnet");
        Directory.CreateDirectory(folder.Combine("www"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), Fault.None, Ct);
        var (torrent, files) = Build("magnet.bin", [(["magnet.bin"], 1 << 20)], server.Url + "/files/magnet.bin", folder.Combine("www"), multi: false);
        // The peer holds only the first half (the rest zeroed): the second half can only come from the web seed.
        var half = files[0].Data.ToArray();
        Array.Clear(half, half.Length / 2, half.Length - half.Length / 2);
        Directory.CreateDirectory(folder.Combine("peer"));
        File.WriteAllBytes(folder.Combine("peer", "magnet.bin"), half);
        await using var seeder = await StartPeerAsync(torrent, folder.Combine("peer"), allowPartial: true);
        var link = $"{torrent.MagnetLink}&x.pe=127.0.0.1:{seeder.Port}";
        Assert.Contains("&ws=", link);
        var log = new ConcurrentQueue<string>();
        var options = Options(folder.Combine("out"), log);

        var opened = await TorrentLab.Client.TorrentClient.OpenAsync(link, options, ct: Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var result = await TorrentLab.Client.TorrentClient.DownloadAsync(opened.Torrent, options with { ExtraPeers = opened.Peers }, ct: Ct)
            .WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal([server.Url + "/files/magnet.bin"], opened.Torrent.WebSeeds);
        AssertFiles(files, folder.Combine("out"));
        Assert.Contains(server.Url + "/files/magnet.bin", result.PeersUsed);
    }
}
