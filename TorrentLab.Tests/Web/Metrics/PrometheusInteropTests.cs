using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Metrics;

/// <summary><c>serve</c>'s <c>/metrics</c> scraped by a real Prometheus (Debian's), with the server's token.</summary>
[Trait("Tier", "Slow")]
public class PrometheusInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prometheus_ScrapingWithTheToken_StoresEachTorrentsFiguresAndTheServersOwn()
    {
        using var folder = new TempFolder("torrentlab-prometheus");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = "scrape-s3cret" });
        await web.AddAsync(start: true, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);
        var target = new Uri(web.Server.Url).Authority;
        using var prometheus = PrometheusServer.Start(folder.Path, target, ServerMetrics.Path, "scrape-s3cret", Ct);

        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> sizes = [];
        var stored = await Wait.UntilAsync(async () =>
        {
            sizes = await prometheus.QueryAsync("torrentlab_torrent_size_bytes", Ct);
            return sizes.Count > 0;
        }, TimeSpan.FromSeconds(60), Ct);

        var (health, error) = await prometheus.TargetAsync(Ct);
        Assert.True(stored, $"Prometheus stored no torrentlab_torrent_size_bytes in 60 s (target {health}: {error}):\n{prometheus.Output}");
        var (labels, size) = Assert.Single(sizes);
        Assert.Equal(web.InfoHash, labels["info_hash"]);
        Assert.Equal("webtest", labels["name"]);
        Assert.Equal(done.Size, size);
        Assert.Equal("up", health);
        var completed = await prometheus.QueryAsync("torrentlab_torrents{state=\"completed\"}", Ct);
        Assert.Equal(1, Assert.Single(completed).Value);
        Assert.NotEmpty(await prometheus.QueryAsync("process_cpu_seconds_total", Ct));
    }
}
