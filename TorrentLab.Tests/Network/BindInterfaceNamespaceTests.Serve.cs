using System.Collections.Concurrent;
using System.Diagnostics;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Network;

/// <summary>serve's own fetches under <c>--bind-interface</c>, in the same two-link namespaces: with the vpn link down,
/// a .torrent added by URL, an RSS feed and the webhook are refused, each saying the interface is down, and nothing
/// leaves by wan; with it up, each reaches the web server in the far namespace from the vpn address, wan still 0.</summary>
public partial class BindInterfaceNamespaceTests
{
    private const int WebPort = 8080, SitePort = 8000; // inside our namespaces only

    [Fact]
    public async Task ServeBoundToTheVpnLink_FetchesNothingByWanWhileItIsDown_AndThroughItOnceItIsUp()
    {
        using var set = NetNamespaces.CreateOrSkip();
        Interop.RequireExecutable("nft");
        Interop.RequireExecutable("curl");
        var python = Interop.RequireExecutable("python3");
        var (ours, far, vpn, wan) = TwoRoutes(set);

        using var folder = new TempFolder("torrentlab-bindif-serve");
        var built = TestTorrents.SingleFile(length: 64 * 1024, pieceLength: 16 * 1024, name: "fetched.bin", seed: 31,
            announce: $"http://{Far}:6969/announce");
        var site = folder.Combine("site");
        Directory.CreateDirectory(site);
        File.WriteAllBytes(Path.Combine(site, "x.torrent"), built.TorrentBytes);
        File.WriteAllText(Path.Combine(site, "rss.xml"), $"""<rss version="2.0"><channel><title>t</title><item><title>a</title><guid>a</guid><enclosure url="http://{Far}:{SitePort}/x.torrent" type="application/x-bittorrent" length="1"/></item></channel></rss>""");
        ConcurrentQueue<string> siteLog = new(), serveLog = new();
        var processes = new List<Process>();
        try
        {
            // The far web server answers GETs from its folder and a POST (the webhook) with 501: a line per request, with the client's address.
            processes.Add(NetNamespaces.StartLogged(far, siteLog, python, ["-u", "-m", "http.server", SitePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--bind", Far, "--directory", site]));
            Must(NetNamespaces.Ip("-n", ours, "link", "set", vpn, "down"), "vpn down");
            processes.Add(NetNamespaces.StartLogged(ours, serveLog, "dotnet", [CliRunner.CliDll, "serve", "--port", WebPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--downloads", folder.Combine("downloads"), "--no-dht", "--peer-port", "6881", "--bind-interface", vpn,
                "--webhook", $"http://{Far}:{SitePort}/hook"]));
            Assert.True(await Wait.UntilAsync(() => Curl(ours, "GET", "/api/torrents").Code == "200", TimeSpan.FromSeconds(60), Ct), Everything());
            var down = $"interface {vpn} down";

            var (code, body) = Curl(ours, "POST", "/api/torrents/link", json: $$"""{"link":"http://{{Far}}:{{SitePort}}/x.torrent"}""");
            Assert.True(code == "502" && body.Contains(down, StringComparison.Ordinal), $"{code} {body}\n{Everything()}");
            Assert.Equal("200", Curl(ours, "POST", "/api/v2/rss/addFeed", form: $"url=http://{Far}:{SitePort}/rss.xml&path=Feed").Code);
            Curl(ours, "POST", "/api/v2/rss/refreshItem", form: "itemPath=Feed");
            Assert.True(await Wait.UntilAsync(() => serveLog.Any(l => l.Contains("rss: feed Feed: ", StringComparison.Ordinal)
                && l.Contains(down, StringComparison.Ordinal)), TimeSpan.FromSeconds(30), Ct), Everything());
            File.WriteAllBytes(folder.Combine("up.torrent"), built.TorrentBytes);
            var upload = NetNamespaces.Run(ours, "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-F", $"torrent=@{folder.Combine("up.torrent")};type=application/x-bittorrent",
                $"http://127.0.0.1:{WebPort}/api/torrents?start=false"], TimeSpan.FromSeconds(30));
            Assert.True(upload.Stdout.Trim() == "201", $"upload {upload.Stdout} {upload.Stderr}\n{Everything()}");
            Assert.True(await Wait.UntilAsync(() => serveLog.Any(l => l.Contains("webhook (added)", StringComparison.Ordinal) && l.Contains(down, StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), Ct), Everything());
            Assert.Equal(0, Packets(ours, wan));
            Assert.DoesNotContain(siteLog, l => l.Contains("HTTP/1.1", StringComparison.Ordinal));

            Must(NetNamespaces.Ip("-n", ours, "link", "set", vpn, "up"), "vpn up");
            NetNamespaces.Ip("-n", ours, "route", "replace", "default", "via", VpnGateway, "dev", vpn, "metric", "200");
            // The torrent removed: the link adds it again once the link is up (the webhook told once more).
            Assert.StartsWith("2", Curl(ours, "DELETE", $"/api/torrents/{built.Torrent.InfoHash.Hex}").Code, StringComparison.Ordinal);
            Assert.True(await Wait.UntilAsync(() => Curl(ours, "POST", "/api/torrents/link", json: $$"""{"link":"http://{{Far}}:{{SitePort}}/x.torrent"}""").Code == "201",
                TimeSpan.FromSeconds(60), Ct), Everything());
            Curl(ours, "POST", "/api/v2/rss/refreshItem", form: "itemPath=Feed");
            Assert.True(await Wait.UntilAsync(() => Has(siteLog, "\"GET /rss.xml") && Has(siteLog, "\"POST /hook"), TimeSpan.FromSeconds(60), Ct), Everything());
            var requests = siteLog.Where(l => l.Contains("HTTP/1.1", StringComparison.Ordinal)).ToList();
            Assert.All(requests, l => Assert.StartsWith(Vpn + " ", l, StringComparison.Ordinal));
            Assert.Equal(0, Packets(ours, wan));
            Assert.True(Packets(ours, vpn) > 0);
            TestContext.Current.TestOutputHelper?.WriteLine($"requests through vpn: {requests.Count}; packets out: vpn {Packets(ours, vpn)}, wan {Packets(ours, wan)}");
        }
        finally
        {
            foreach (var process in processes)
            {
                ProcessRunner.Stop(process);
                process.Dispose();
            }
        }

        string Everything() => $"serve:\n{string.Join("\n", serveLog.TakeLast(40))}\nsite:\n{string.Join("\n", siteLog)}";
    }

    /// <summary>A request to serve's API from inside <paramref name="ns"/> (its loopback): the status and the body.</summary>
    private static (string Code, string Body) Curl(string ns, string method, string path, string? json = null, string? form = null)
    {
        List<string> args = ["-s", "-X", method, "-w", "\n%{http_code}", "--max-time", "40"];
        if (json is not null) args.AddRange(["-H", "Content-Type: application/json", "--data-raw", json]);
        if (form is not null) args.AddRange(["--data-raw", form]);
        args.Add($"http://127.0.0.1:{WebPort}{path}");
        var result = NetNamespaces.Run(ns, "curl", args, TimeSpan.FromSeconds(50));
        var output = result.Stdout.TrimEnd();
        var cut = output.LastIndexOf('\n');
        return cut < 0 ? (output, "") : (output[(cut + 1)..], output[..cut]);
    }
}
