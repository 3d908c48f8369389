using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Bencode;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>BitTorrent v2 and hybrid torrents (BEP 52) made and seeded by python3-libtorrent, downloaded through the
/// front door byte-identical; and a v2-only torrent seeded by us, downloaded by libtorrent.</summary>
[Trait("Tier", "Slow")]
public class V2SwarmInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Builds a v2-only ('v2') or hybrid torrent of a folder or file with libtorrent; writes it to argv[4].
    private const string CreateScript = """
        import sys, libtorrent as lt
        path, piece, kind, out, tracker = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
        fs = lt.file_storage()
        lt.add_files(fs, path)
        ct = lt.create_torrent(fs, piece, flags=lt.create_torrent.v2_only if kind == 'v2' else 0)
        if tracker: ct.add_tracker(tracker)
        lt.set_piece_hashes(ct, path.rsplit('/', 1)[0])
        open(out, 'wb').write(lt.bencode(ct.generate()))
        """;

    private const int PieceLength = 32 * 1024;

    /// <summary>A single file of several pieces (the last one short), or a folder with a file of several pieces,
    /// files smaller than a piece and an empty file.</summary>
    private static (string Name, (string Path, byte[] Data)[] Files) Payload(string shape) => shape switch
    {
        "single" => ("one.bin", [("one.bin", TestTorrents.Payload(5 * PieceLength + 7_000, 1))]),
        _ => ("folder", [
            ("folder/big.bin", TestTorrents.Payload(4 * PieceLength + 123, 2)),
            ("folder/empty.txt", []),
            ("folder/small.txt", TestTorrents.Payload(1_000, 3)),
            ("folder/sub/medium.bin", TestTorrents.Payload(PieceLength + 5_000, 4)),
            ("folder/sub/tiny.bin", TestTorrents.Payload(17, 5)),
        ]),
    };

    private static async Task<(Torrent Torrent, string Path)> CreateWithLibtorrentAsync(string python, TempFolder folder, string shape,
        string kind, string tracker = "")
    {
        var (name, files) = Payload(shape);
        foreach (var (path, data) in files)
        {
            var full = folder.Combine("seed", path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, data, Ct);
        }
        var torrentPath = folder.Combine($"{shape}-{kind}.torrent");
        var run = ProcessRunner.Run(python, ["-c", CreateScript, folder.Combine("seed", name), PieceLength.ToString(), kind, torrentPath, tracker],
            TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Stderr);
        return (Torrent.Load(torrentPath), torrentPath);
    }

    private static async Task AssertSameFilesAsync(string shape, string output)
    {
        foreach (var (path, data) in Payload(shape).Files)
            Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(output, path), Ct));
        Assert.False(Directory.EnumerateDirectories(output, ".pad", SearchOption.AllDirectories).Any()); // padding is never written
    }

    private static DownloadOptions Options(string output, int seederPort, ConcurrentQueue<string>? log = null) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            BindAddresses = [IPAddress.Loopback],
        },
        OutputDirectory = output,
        ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seederPort)],
        StallTimeout = TimeSpan.FromSeconds(30),
        Log = log is null ? null : log.Enqueue,
        Trace = log is null ? null : e => log.Enqueue(e.ToString()),
    };

    /// <summary>The download's result; a failure carries the protocol log (the last 60 lines).</summary>
    private static async Task<DownloadResult> WithLogAsync(ConcurrentQueue<string> log, Task<DownloadResult> download)
    {
        try { return await download.WaitAsync(TimeSpan.FromSeconds(90), Ct); }
        catch (DownloadFailedException e) { throw new Xunit.Sdk.XunitException($"{e.Message}\n{string.Join("\n", log.TakeLast(60))}"); }
    }

    [Theory]
    [InlineData("single", "v2")]
    [InlineData("multi", "v2")]
    [InlineData("single", "hybrid")]
    [InlineData("multi", "hybrid")]
    public async Task DownloadAsync_TorrentMadeAndSeededByLibtorrent_WritesEveryFileByteIdentical(string shape, string kind)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-v2-lt");
        var (torrent, torrentPath) = await CreateWithLibtorrentAsync(python, folder, shape, kind);
        Assert.Equal(kind == "v2", torrent.IsV2Only);
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);
        var log = new ConcurrentQueue<string>();

        var result = await WithLogAsync(log, TorrentClient.DownloadAsync(torrent, Options(folder.Combine("out"), seeder.Port, log), null, Ct));

        await AssertSameFilesAsync(shape, folder.Combine("out"));
        // Padding (a hybrid's pad files, a v2 torrent's alignment gaps) is never requested: at most the rest of the
        // 16 KiB block in which each file ends comes with it.
        var files = torrent.Files.Count(f => !f.IsPadding && f.Length > 0);
        Assert.True(result.Downloaded <= torrent.PayloadLength + files * 16 * 1024,
            $"received {result.Downloaded} bytes for a payload of {torrent.PayloadLength} in {files} files (stream {torrent.TotalLength})");
    }

    [Theory]
    [InlineData("single")]
    [InlineData("multi")]
    public async Task DownloadAsync_V2TorrentWithoutPieceLayers_AsksTheLibtorrentSeederForThemWithHashRequests(string shape)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-v2-layers");
        var (full, torrentPath) = await CreateWithLibtorrentAsync(python, folder, shape, "v2");
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);
        // What a magnet link yields: the same info dictionary, no piece layers beside it.
        var document = BencodeDecoder.DecodeDictionary(await File.ReadAllBytesAsync(torrentPath, Ct));
        var stripped = new BDictionary();
        foreach (var (key, value) in document.Entries)
            if (System.Text.Encoding.UTF8.GetString(key) != "piece layers") stripped.Set(key, value);
        var torrent = Torrent.Parse(BencodeWriter.Encode(stripped));
        Assert.Equal(full.InfoHashV2, torrent.InfoHashV2);
        Assert.All(torrent.Files, f => Assert.True(f.PieceLayer.IsEmpty));
        var log = new ConcurrentQueue<string>();

        await WithLogAsync(log, TorrentClient.DownloadAsync(torrent, Options(folder.Combine("out"), seeder.Port, log), null, Ct));

        await AssertSameFilesAsync(shape, folder.Combine("out"));
        var layered = full.Files.Count(f => !f.PieceLayer.IsEmpty);
        Assert.True(layered > 0);
        Assert.Equal(layered, log.Count(l => l.Contains("verified against its pieces root", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OpenAsync_BtmhOnlyMagnetLink_FetchesMetadataCheckedBySha256ThenLayersThenTheFiles()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-v2-btmh");
        var (full, torrentPath) = await CreateWithLibtorrentAsync(python, folder, "multi", "v2");
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct,
            settings: LibtorrentSeeder.UtMetadata);
        var link = $"magnet:?xt={full.InfoHashV2!.Value.MagnetUrn}&x.pe=127.0.0.1:{seeder.Port}";

        var opened = await TorrentClient.OpenAsync(link, folder.Combine("fetched.torrent"), null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var log = new ConcurrentQueue<string>();
        await WithLogAsync(log, TorrentClient.DownloadAsync(opened.Torrent, Options(folder.Combine("out"), seeder.Port, log), null, Ct));

        Assert.Equal(full.InfoHashV2, opened.Torrent.InfoHashV2);
        Assert.True(opened.Torrent.IsV2Only);
        await AssertSameFilesAsync("multi", folder.Combine("out"));
    }

    [Theory]
    [InlineData("single")]
    [InlineData("multi")]
    public async Task SeedAsync_V2OnlyTorrent_LibtorrentDownloadsItFromUs(string shape)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-v2-seed");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var (torrent, torrentPath) = await CreateWithLibtorrentAsync(python, folder, shape, "v2", tracker.HttpAnnounceUrl);
        await using var seeder = await Seeder.StartAsync(torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("seed"),
        }, allowPartial: false, Ct);
        await Wait.UntilAsync(() => tracker.GetSwarm(torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);

        using var lt = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("lt"), folder.Path);
        var (code, output) = await lt.WaitAsync(InteropProcess.DownloaderPatience, Ct);

        Assert.True(code == 0, $"libtorrent: {output}");
        await AssertSameFilesAsync(shape, folder.Combine("lt"));
    }
}
