using TorrentLab.Client;
using TorrentLab.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace TorrentLab.Tests.Client;

/// <summary>Fetching a .torrent by URL from a loopback web site (canned answers, <see cref="StubHttp"/>): host names
/// resolved and checked, redirects bounded.</summary>
public sealed class TorrentUrlTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly byte[] Body = "d4:infod6:lengthi1eee"u8.ToArray();
    private readonly WireMockServer _site = StubHttp.Start();
    private readonly int _port;

    public TorrentUrlTests()
    {
        _site.Given(Request.Create().WithPath("/t.torrent").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/x-bittorrent").WithBody(Body));
        _site.Given(Request.Create().WithPath("/loop").UsingGet()).RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "/loop"));
        _site.Given(Request.Create().WithPath("/to-ftp").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "ftp://127.0.0.1/t.torrent"));
        _port = _site.Ports[0];
    }

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task Fetch_HostNameResolvingToLoopback_ReturnsTheBody()
    {
        var bytes = await TorrentClient.FetchTorrentFileAsync($"http://localhost:{_port}/t.torrent", 1024, Ct);

        Assert.Equal(Body, bytes);
    }

    [Fact]
    public async Task Fetch_RedirectLoop_StopsAfterFiveRedirects()
    {
        var e = await Assert.ThrowsAsync<TorrentUrlException>(() => TorrentClient.FetchTorrentFileAsync($"http://127.0.0.1:{_port}/loop", 1024, Ct));

        Assert.Contains("more than 5 redirects", e.Message);
        Assert.False(e.Refused);
    }

    [Fact]
    public async Task Fetch_RedirectToAnotherScheme_IsRefused()
    {
        var e = await Assert.ThrowsAsync<TorrentUrlException>(() => TorrentClient.FetchTorrentFileAsync($"http://127.0.0.1:{_port}/to-ftp", 1024, Ct));

        Assert.Contains("not an http or https URL", e.Message);
        Assert.True(e.Refused);
    }

    [Fact]
    public async Task Fetch_BodyOverTheCap_IsRefusedAsTooLarge()
    {
        var e = await Assert.ThrowsAsync<TorrentUrlException>(() => TorrentClient.FetchTorrentFileAsync($"http://127.0.0.1:{_port}/t.torrent", 10, Ct));

        Assert.Contains("larger than the limit of 10 bytes", e.Message);
    }
}
