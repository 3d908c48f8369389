using System.Net.Http.Headers;
using System.Net.Http.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>A real <see cref="WebServer"/> on a free loopback port over a temp downloads folder, a mock swarm to
/// download from, and an HTTP client pointed at the server. Everything stops when disposed, even when a test fails.</summary>
internal sealed class WebTestServer : IAsyncDisposable
{
    private WebTestServer(MockSwarm swarm, TempFolder downloads, WebServer server, HttpClient http)
    {
        Swarm = swarm;
        Downloads = downloads;
        Server = server;
        Http = http;
    }

    public MockSwarm Swarm { get; }
    public TempFolder Downloads { get; }
    public WebServer Server { get; private set; }
    public HttpClient Http { get; private set; }
    public string InfoHash => Swarm.Built.Torrent.InfoHash.Hex;

    /// <summary>A torrent of <paramref name="pieces"/> 16 KiB pieces in two files, seeded by peers of this behaviour
    /// (Slow sends one block every <paramref name="slowDelay"/>, so a test can act while it downloads).</summary>
    public static async Task<WebTestServer> StartAsync(CancellationToken ct, SyntheticBehaviour behaviour = SyntheticBehaviour.Normal,
        int pieces = 12, TimeSpan? slowDelay = null, Func<WebServerOptions, WebServerOptions>? configure = null,
        Func<SyntheticPeerOptions, SyntheticPeerOptions>? peer = null, string? webSeed = null)
    {
        var swarm = await MockSwarm.StartAsync(
            announce => TestTorrents.MultiFile([("a.bin", pieces * 16 * 1024 / 2 + 100), ("sub/b.bin", pieces * 16 * 1024 / 2 - 100)],
                pieceLength: 16 * 1024, name: "webtest", announce: announce, webSeed: webSeed),
            [o => (peer ?? (x => x))(o with { Behaviour = behaviour, SlowDelay = slowDelay ?? TimeSpan.FromMilliseconds(20) })], ct);
        var downloads = new TempFolder("torrentlab-web");
        try
        {
            var options = Options(downloads.Path);
            var server = await WebServer.StartAsync(configure?.Invoke(options) ?? options, ct);
            return new WebTestServer(swarm, downloads, server, Client(server));
        }
        catch
        {
            await swarm.DisposeAsync();
            downloads.Dispose();
            throw;
        }
    }

    /// <summary>The server's options: a free port, the single-peer engine, short timeouts.</summary>
    public static WebServerOptions Options(string downloads) => new()
    {
        Downloads = downloads,
        Port = 0,
        PeerPort = 0, // tests run side by side: each server's session takes any free peer port
        MaxPeers = 1,
        KeepFree = 0, // the disk guard off: tests mount volumes of a few MiB (DiskGuardTests turn it on)
        // Session settings on the session (every torrent of the server takes them), the torrent's own on each torrent.
        ConfigureSession = s => s with
        {
            ConnectTimeout = TimeSpan.FromSeconds(3), HandshakeTimeout = TimeSpan.FromSeconds(3), IdleTimeout = TimeSpan.FromSeconds(5),
        },
        ConfigureDownload = o => o with
        {
            LedgerInterval = TimeSpan.FromMilliseconds(200),
        },
    };

    private static HttpClient Client(WebServer server)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(20) };
        if (server.Token is { } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>Stops the server and starts a new one on the same downloads folder (a restart); <paramref name="whileStopped"/>
    /// runs in between (to damage the saved state), <paramref name="configure"/> adjusts the new server's options.</summary>
    public async Task RestartAsync(CancellationToken ct, Action? whileStopped = null, Func<WebServerOptions, WebServerOptions>? configure = null)
    {
        await Server.DisposeAsync();
        Http.Dispose();
        whileStopped?.Invoke();
        var options = Options(Downloads.Path);
        Server = await WebServer.StartAsync(configure?.Invoke(options) ?? options, ct);
        Http = Client(Server);
    }

    /// <summary>Uploads the swarm's torrent as a multipart form, the way the page does.</summary>
    public Task<HttpResponseMessage> UploadAsync(byte[] bytes, bool start, CancellationToken ct) =>
        UploadAsync(bytes, $"start={(start ? "true" : "false")}", ct);

    /// <summary>Uploads a torrent as the page does, with <paramref name="query"/> (<c>start=false&amp;folder=x</c>).</summary>
    public async Task<HttpResponseMessage> UploadAsync(byte[] bytes, string query, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
        form.Add(file, "torrent", "webtest.torrent");
        return await Http.PostAsync("/api/torrents?" + query, form, ct);
    }

    public async Task<TorrentSummary> AddAsync(bool start, CancellationToken ct)
    {
        using var response = await UploadAsync(Swarm.Built.TorrentBytes, start, ct);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TorrentSummary>(ct))!;
    }

    public async Task<TorrentSummary[]> ListAsync(CancellationToken ct) =>
        (await Http.GetFromJsonAsync<TorrentSummary[]>("/api/torrents", ct))!;

    public async Task<TorrentDetails> DetailsAsync(CancellationToken ct) =>
        (await Http.GetFromJsonAsync<TorrentDetails>($"/api/torrents/{InfoHash}", ct))!;

    /// <summary>Polls the torrent's row until <paramref name="done"/> holds: at most <paramref name="within"/> (20 s by
    /// default; longer where the torrent is first added by the server itself), every 50 ms.</summary>
    public async Task<TorrentSummary> WaitForAsync(Func<TorrentSummary, bool> done, CancellationToken ct, TimeSpan? within = null)
    {
        TorrentSummary? last = null;
        var bound = within ?? TimeSpan.FromSeconds(20);
        if (await Wait.UntilAsync(async () => (last = (await ListAsync(ct)).SingleOrDefault(t => t.InfoHash == InfoHash)) is { } row && done(row), bound, ct))
            return last!;
        Assert.Fail($"the torrent did not reach the expected state in {bound.TotalSeconds:0} s; last: {last?.ToString() ?? "not added"}");
        return last!;
    }

    /// <summary>The swarm engine without the DHT, dialling loopback only: what a test of the server's own adds needs.</summary>
    public static WebServerOptions SwarmEngine(WebServerOptions o) => o with
    {
        MaxPeers = 50,
        ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
    };

    /// <summary>True when every payload file on disk equals the torrent's data.</summary>
    public bool FilesMatch() => Swarm.Built.Files.All(f =>
        File.Exists(Downloads.Combine(f.Path)) && File.ReadAllBytes(Downloads.Combine(f.Path)).AsSpan().SequenceEqual(f.Data));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Swarm.DisposeAsync();
        Downloads.Dispose();
    }
}
