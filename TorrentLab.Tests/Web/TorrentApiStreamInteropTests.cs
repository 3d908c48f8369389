using System.Net.Http.Json;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The stream route read by real HTTP clients while the torrent downloads from a capped python3-libtorrent
/// seeder: <c>curl -r</c> for byte ranges, and <c>ffprobe</c> (Debian's ffmpeg) probing an MP4 made here, whose index
/// (<c>moov</c>) ffmpeg writes at the end, so the player reads the head, then seeks to the tail.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiStreamInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const string Token = "stream-test-token";

    [Fact]
    public async Task CurlAndFfprobe_ReadAnMp4FromServe_WhileItDownloads()
    {
        var python = Interop.RequireLibtorrentPython();
        var ffmpeg = Interop.RequireExecutable("ffmpeg");
        var ffprobe = Interop.RequireExecutable("ffprobe");
        var curl = Interop.RequireExecutable("curl");
        using var temp = new TempFolder("torrentlab-stream-web");
        var seed = temp.Combine("seed");
        Directory.CreateDirectory(seed);
        var media = Path.Combine(seed, "clip.mp4");
        // 8 s of ffmpeg's test pattern at 8 Mbit/s, noise added so that it does not compress below that: about 8 MB,
        // 500 pieces of 16 KiB.
        var made = await ProcessRunner.RunAsync(ffmpeg, ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", "testsrc=duration=8:size=640x360:rate=25", "-vf", "noise=alls=30:allf=t+u", "-c:v", "mpeg4", "-b:v", "8M", media], Patience);
        Assert.True(made.ExitCode == 0, $"ffmpeg failed: {made.Stderr}");
        var data = await File.ReadAllBytesAsync(media, Ct);
        Assert.True(data.Length > 6_000_000, $"ffmpeg made {data.Length} bytes, expected about 8 MB");
        var torrentBytes = await TorrentBuilder.CreateAsync(media, new TorrentCreateOptions { PieceLength = 16 * 1024 }, cancellation: Ct);
        var torrent = Torrent.Parse(torrentBytes);
        var torrentPath = Path.Combine(temp.Path, "clip.torrent");
        await File.WriteAllBytesAsync(torrentPath, torrentBytes, Ct);
        // 96 KiB/s: the whole file takes over 80 s; what the clients read is some pieces at the head and the tail.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, seed, temp.Path, Ct, uploadLimit: 96 * 1024,
            settings: LibtorrentSeeder.UtMetadata);
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            MaxPeers = 50, // the swarm engine, which fetches the stream's pieces first
            RequireToken = true,
            Token = Token,
            ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
        });
        var hash = torrent.InfoHash.Hex;
        using (var added = await web.Http.PostAsJsonAsync("/api/torrents/link",
            new { link = $"magnet:?xt=urn:btih:{hash}&dn=clip.mp4&x.pe=127.0.0.1:{seeder.Port}" }, Ct))
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync(Ct));
        Assert.True(await Wait.UntilAsync(
            async () => (await web.ListAsync(Ct)).SingleOrDefault(t => t.InfoHash == hash)?.State == "downloading", Patience, Ct),
            "the torrent never started downloading");
        var url = $"{web.Server.Url.TrimEnd('/')}/api/torrents/{hash}/files/1/stream";

        // curl -r: the last 5,000 bytes, then a range across a piece boundary.
        var tail = await CurlAsync(curl, url, "-5000", temp.Path);
        var middle = await CurlAsync(curl, url, "16000-17000", temp.Path);
        // ffprobe: the container, its duration and the video stream, from the head and the index at the tail.
        var probe = await ProcessRunner.RunAsync(ffprobe, ["-v", "error", "-headers", $"Authorization: Bearer {Token}\r\n",
            "-show_entries", "format=duration:stream=codec_name,width,height", "-of", "default=noprint_wrappers=1", url], Patience);
        var row = (await web.ListAsync(Ct)).Single(t => t.InfoHash == hash);

        Assert.Contains($"Content-Range: bytes {data.Length - 5000}-{data.Length - 1}/{data.Length}", tail.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(" 206", tail.Headers.Split('\n')[0], StringComparison.Ordinal);
        Assert.Equal(data.AsSpan(data.Length - 5000).ToArray(), tail.Body);
        Assert.Contains($"Content-Range: bytes 16000-17000/{data.Length}", middle.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(data.AsSpan(16000, 1001).ToArray(), middle.Body);
        Assert.True(probe.ExitCode == 0, $"ffprobe failed: {probe.Stderr}");
        Assert.Contains("codec_name=mpeg4", probe.Stdout, StringComparison.Ordinal);
        Assert.Contains("width=640", probe.Stdout, StringComparison.Ordinal);
        Assert.Contains("duration=8.0", probe.Stdout, StringComparison.Ordinal);
        Assert.True(row.State == "downloading" && row.Progress < 1,
            $"the clients were done only when the torrent was {row.State} at {row.Progress:P0}: not read while it downloads");
    }

    private sealed record Fetched(string Headers, byte[] Body);

    /// <summary>Runs <c>curl -r <paramref name="range"/></c> with the token; returns the response headers and body.</summary>
    private static async Task<Fetched> CurlAsync(string curl, string url, string range, string folder)
    {
        var name = Guid.NewGuid().ToString("N");
        var headers = Path.Combine(folder, name + ".headers");
        var body = Path.Combine(folder, name + ".body");
        var result = await ProcessRunner.RunAsync(curl, ["--silent", "--show-error", "--max-time", "60", "-r", range,
            "-H", $"Authorization: Bearer {Token}", "-D", headers, "-o", body, url], Patience);
        Assert.True(result.ExitCode == 0, $"curl -r {range} failed ({result.ExitCode}): {result.Stderr}");
        return new Fetched(await File.ReadAllTextAsync(headers, Ct), await File.ReadAllBytesAsync(body, Ct));
    }
}
