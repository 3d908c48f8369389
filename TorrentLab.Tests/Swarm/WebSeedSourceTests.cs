using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using Fault = TorrentLab.Tests.Infrastructure.WebSeedServer.Fault;

namespace TorrentLab.Tests.Swarm;

/// <summary>The HTTP side of a web seed: BEP 19's URLs, range requests, and the hosts it refuses to dial.</summary>
public class WebSeedSourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Torrent Single = Torrent.Parse(TorrentBuilder.Create("a b.bin", new byte[1000], new TorrentCreateOptions { PieceLength = 16 * 1024 }));
    private static readonly Torrent Multi = Torrent.Parse(TorrentBuilder.Create("top dir",
        [(["x.bin"], new byte[10]), (["sub", "y%.bin"], new byte[20])], new TorrentCreateOptions { PieceLength = 16 * 1024 }));

    [Theory]
    [InlineData("http://h/file.bin", false, "a b.bin", "http://h/file.bin")]        // single file: the URL is the file
    [InlineData("http://h/dir/", false, "a b.bin", "http://h/dir/a%20b.bin")]       // BEP 19: ending in '/', the name is added
    [InlineData("http://h/dir/", true, "y%.bin", "http://h/dir/top%20dir/sub/y%25.bin")] // multi-file: name and path, percent-encoded
    [InlineData("http://h/dir", true, "x.bin", "http://h/dir/top%20dir/x.bin")]
    public void FileUrl_FollowsBep19(string url, bool multi, string file, string expected)
    {
        var torrent = multi ? Multi : Single;
        using var source = new WebSeedSource(url, torrent, PeerScope.Any, TimeSpan.FromSeconds(5));
        Assert.Equal(expected, source.FileUrl(torrent.Files.Single(f => f.PathSegments[^1] == file)).AbsoluteUri);
    }

    [Theory]
    [InlineData("http://h/x", true)]
    [InlineData("https://h/x", true)]
    [InlineData("ftp://h/x", false)]
    [InlineData("h/x", false)]
    [InlineData("file:///etc/passwd", false)]
    public void IsUsable_OnlyAbsoluteHttpAndHttps(string url, bool usable) => Assert.Equal(usable, WebSeedSource.IsUsable(url));

    [Theory]
    [InlineData("http://0.0.0.0:1/a.bin")]     // unspecified
    [InlineData("http://255.255.255.255:1/a.bin")] // broadcast
    [InlineData("http://224.0.0.1:1/a.bin")]   // multicast
    [InlineData("http://169.254.1.1:1/a.bin")] // link-local
    [InlineData("http://[ff02::1]:1/a.bin")]   // IPv6 multicast
    public async Task ReadAsync_HostWeMayNotDial_IsRefusedBeforeAnyPacket(string url)
    {
        using var source = new WebSeedSource(url, Single, PeerScope.Any, TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => source.ReadAsync(Single.Files[0], 0, new byte[10], Ct));
        Assert.Contains("none of which may be dialled", error.InnerException?.Message);
    }

    /// <summary>The answers of a web seed gone wrong, by name, for bytes 0-99 of a 1000-byte file.</summary>
    private static IResponseBuilder Answer(string name) => name switch
    {
        "not found" => Response.Create().WithStatusCode(404),
        "server error" => Response.Create().WithStatusCode(500),
        "range from elsewhere" => Response.Create().WithStatusCode(206).WithHeader("Content-Range", "bytes 10-109/1000").WithBody(new byte[100]),
        "body cut short" => Response.Create().WithStatusCode(206).WithHeader("Content-Range", "bytes 0-49/1000").WithBody(new byte[50]),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such answer"),
    };

    [Theory]
    [InlineData("not found", "HTTP 404 Not Found for bytes 0-99 of")]
    [InlineData("server error", "HTTP 500 Internal Server Error for bytes 0-99 of")]
    [InlineData("range from elsewhere", "asked for bytes 0-99 of")]
    [InlineData("body cut short", "the server closed after 50 of 100 bytes")]
    public async Task ReadAsync_AnswerWeCannotUse_IsASwarmExceptionSayingWhy(string answer, string expected)
    {
        using var stub = StubHttp.Start();
        stub.Given(Request.Create().WithPath("/files/a b.bin").UsingGet()).RespondWith(Answer(answer));
        using var source = new WebSeedSource(stub.Url + "/files/", Single, PeerScope.Loopback, TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<SwarmException>(() => source.ReadAsync(Single.Files[0], 0, new byte[100], Ct));

        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public async Task ReadAsync_AnswerSlowerThanTheTimeout_IsNoAnswerInTime()
    {
        // The stub holds its answer for a minute of real time; the source's 10 s pass on a manual clock.
        using var stub = StubHttp.Start();
        stub.Given(Request.Create().WithPath("/files/a b.bin").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(206).WithBody(new byte[100]).WithDelay(TimeSpan.FromMinutes(1)));
        var clock = new ManualClock();
        using var source = new WebSeedSource(stub.Url + "/files/", Single, PeerScope.Loopback, TimeSpan.FromSeconds(10), time: clock);

        var read = source.ReadAsync(Single.Files[0], 0, new byte[100], Ct);
        Assert.True(await Wait.UntilAsync(() => clock.PendingTimers.Contains(TimeSpan.FromSeconds(10)), TimeSpan.FromSeconds(30), Ct),
            "the read armed no 10 s limit");
        clock.Advance(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<SwarmException>(() => read);

        Assert.Equal("no answer in time", error.Message);
    }

    [Fact]
    public async Task ReadAsync_Range_ReadsExactlyThoseBytes()
    {
        using var folder = new TempFolder("torrentlab-webseed-source");
        var data = TestTorrents.Payload(1000, 5);
        await File.WriteAllBytesAsync(folder.Combine("a b.bin"), data, Ct);
        await using var server = await WebSeedServer.StartAsync(folder.Path, Fault.None, Ct);
        using var source = new WebSeedSource(server.Url + "/files/", Single, PeerScope.Loopback, TimeSpan.FromSeconds(10));
        var into = new byte[300];
        await source.ReadAsync(Single.Files[0], 500, into, Ct);
        Assert.Equal(data[500..800], into);
    }
}
