using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorrentLab.Client;

namespace TorrentLab.Tests.Client;

/// <summary>Fetching a .torrent by URL from a loopback web site: host names resolved and checked, redirects bounded.</summary>
public sealed class TorrentUrlTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly byte[] Body = "d4:infod6:lengthi1eee"u8.ToArray();
    private WebApplication _site = null!;
    private int _port;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _site = builder.Build();
        _site.MapGet("/t.torrent", () => Results.Bytes(Body, "application/x-bittorrent"));
        _site.MapGet("/loop", () => Results.Redirect("/loop"));
        _site.MapGet("/to-ftp", () => Results.Redirect("ftp://127.0.0.1/t.torrent"));
        await _site.StartAsync(Ct);
        _port = new Uri(_site.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async ValueTask DisposeAsync() => await _site.DisposeAsync();

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
