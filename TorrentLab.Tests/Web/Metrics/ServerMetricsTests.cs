using System.Globalization;
using System.Net;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Metrics;

/// <summary><c>GET /metrics</c> (<see cref="ServerMetrics"/>): Prometheus' text format, each torrent's series from the
/// field table, the server's own, the token.</summary>
public class ServerMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void FieldTable_EveryMetricRow_IsNamedOnce_AsPrometheusAsks()
    {
        var metrics = TorrentFields.All.Select(f => f.Metric).OfType<FieldMetric>().ToList();

        Assert.True(metrics.Count >= 10, $"only {metrics.Count} metric rows");
        Assert.Equal(metrics.Count, metrics.Select(m => m.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(metrics, m => Assert.Matches("^torrentlab_torrent_[a-z_]+$", m.Name));
        Assert.All(metrics, m => Assert.Equal(m.Counter, m.Name.EndsWith("_total", StringComparison.Ordinal))); // counters only
        Assert.All(metrics, m => Assert.EndsWith(".", m.Help, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_OfADownloadedTorrent_GiveItsFiguresFromTheFieldTable_AndItsSeriesGoWhenItIsRemoved()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);
        var torrent = $"{{info_hash=\"{web.InfoHash}\",name=\"webtest\"}}";

        var text = await ScrapeAsync(web.Http);

        Assert.Equal(done.Size, Value(text, "torrentlab_torrent_size_bytes" + torrent));
        Assert.Equal(done.Size, Value(text, "torrentlab_torrent_verified_bytes" + torrent));
        Assert.Equal(1, Value(text, "torrentlab_torrent_progress_ratio" + torrent));
        Assert.True(Value(text, "torrentlab_torrent_downloaded_bytes_total" + torrent) >= done.Size);
        Assert.Equal(1, Value(text, "torrentlab_torrents{state=\"completed\"}"));
        Assert.Equal(0, Value(text, "torrentlab_peers"));
        Assert.True(Value(text, "torrentlab_free_space_bytes") > 0);
        Assert.Contains("# TYPE torrentlab_torrent_uploaded_bytes_total counter", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total ", text, StringComparison.Ordinal);

        (await web.Http.DeleteAsync($"/api/torrents/{web.InfoHash}", Ct)).EnsureSuccessStatusCode();
        var after = await ScrapeAsync(web.Http);

        Assert.DoesNotContain(web.InfoHash, after, StringComparison.Ordinal);
        Assert.Equal(0, Value(after, "torrentlab_torrents{state=\"completed\"}")); // a state left reads 0, not nothing
    }

    [Fact]
    public async Task Metrics_WithAToken_RefuseAScrapeWithoutIt_AndTakeItAsBearerOrBasicPassword()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = "s3cret-token" });
        using var anonymous = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        using var basic = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        basic.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("prometheus:s3cret-token"u8.ToArray()));
        using var wrongBasic = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        wrongBasic.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("prometheus:s3cret-tokeX"u8.ToArray()));

        using var none = await anonymous.GetAsync(ServerMetrics.Path, Ct);
        using var wrong = await wrongBasic.GetAsync(ServerMetrics.Path, Ct);
        using var bearer = await web.Http.GetAsync(ServerMetrics.Path, Ct); // the server's token as a bearer token
        using var password = await basic.GetAsync(ServerMetrics.Path, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, password.StatusCode);
        Assert.StartsWith("text/plain; version=0.0.4", password.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync(ServerMetrics.Path, Ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>The value of the sample named <paramref name="series"/> (name and labels as written).</summary>
    private static double Value(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no sample {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
