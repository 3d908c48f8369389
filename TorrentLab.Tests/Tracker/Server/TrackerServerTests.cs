using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker.Server;

/// <summary>The tracker's HTTP side as a classroom checker sees it: raw GETs and the bencoded answers.</summary>
public class TrackerServerTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Valid = "info_hash=" + BinaryHashEncoded + "&peer_id=-TZ0100-aaaaaaaaaaaa&port=7001&uploaded=0&downloaded=0&left=5";

    private static async Task<BDictionary> GetAsync(TrackerServer server, string path, string query)
    {
        var body = await Http.GetByteArrayAsync($"http://127.0.0.1:{server.Port}{path}?{query}", Ct);
        return BencodeDecoder.DecodeDictionary(body); // strict: our tracker writes canonical bencode
    }

    private static string? Failure(BDictionary answer) => (answer["failure reason"] as BString)?.Text;

    [Theory]
    [InlineData("left=", "'left' must be a whole number")]
    [InlineData("left=abc", "'left' must be a whole number between 0 and 9223372036854775807, got 'abc'")]
    [InlineData("uploaded=x", "'uploaded' must be a whole number")]
    [InlineData("downloaded=-1", "'downloaded' must be a whole number")]
    [InlineData("port=70000", "'port' must be a whole number between 0 and 65535")]
    [InlineData("port=0", "'port' must be between 1 and 65535")]
    [InlineData("peer_id=short", "'peer_id' must be 20 bytes, got 5")]
    [InlineData("info_hash=%01%02", "'info_hash' must be 20 raw bytes, got 2")]
    [InlineData("info_hash=00412d7e263d252b2fff80203f23617a30392e5f", "don't send it as hex")]
    [InlineData("event=resumed", "'event' must be started, completed, stopped, paused or empty, got 'resumed'")]   // paused is BEP 21's
    public async Task Announce_InvalidParameter_FailureReasonNamesIt(string replacement, string expected)
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var key = replacement[..replacement.IndexOf('=')];
        var parts = Valid.Split('&').Where(p => !p.StartsWith(key + "=", StringComparison.Ordinal)).Append(replacement);
        Assert.Contains(expected, Failure(await GetAsync(server, "/announce", string.Join('&', parts))));
    }

    [Theory]
    [InlineData("left")]
    [InlineData("uploaded")]
    [InlineData("downloaded")]
    [InlineData("port")]
    [InlineData("peer_id")]
    [InlineData("info_hash")]
    public async Task Announce_MissingParameter_FailureReasonNamesIt(string key)
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var query = string.Join('&', Valid.Split('&').Where(p => !p.StartsWith(key + "=", StringComparison.Ordinal)));
        Assert.Equal($"missing '{key}'", Failure(await GetAsync(server, "/announce", query)));
    }

    [Fact]
    public async Task Announce_UnknownInfoHashWithAllowList_IsRefusedOverHttpAndUdp()
    {
        var log = new ConcurrentQueue<string>();
        var other = InfoHash.Compute("other"u8);
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, AllowedInfoHashes = [other], Log = log.Enqueue }, Ct);
        Assert.StartsWith($"unknown info_hash {BinaryHash.Hex}", Failure(await GetAsync(server, "/announce", Valid)));
        var udp = new TrackerClient([[server.UdpAnnounceUrl]], TrackerClientTests.Fast);
        var error = await Assert.ThrowsAsync<TrackerException>(() => udp.AnnounceAsync(new AnnounceRequest(BinaryHash, Peer('a'), 1, 0, 0, 0), Ct));
        Assert.StartsWith("unknown info_hash", error.FailureReason);
        Assert.Equal(2, log.Count(line => line.StartsWith("rejected", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Announce_PastTheAddressShareOfTorrents_IsRefusedOverHttpAndUdp_AndLogged()
    {
        var log = new ConcurrentQueue<string>();
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, MaxTorrentsPerAddress = 1, Log = log.Enqueue }, Ct);
        Assert.Null(Failure(await GetAsync(server, "/announce", Valid))); // the first torrent 127.0.0.1 starts
        var other = InfoHash.Compute("other"u8);

        var http = await Assert.ThrowsAsync<TrackerException>(() =>
            new TrackerClient([[server.HttpAnnounceUrl]]).AnnounceAsync(new AnnounceRequest(other, Peer('b'), 7002, 0, 0, 0), Ct));
        var udp = await Assert.ThrowsAsync<TrackerException>(() =>
            new TrackerClient([[server.UdpAnnounceUrl]], TrackerClientTests.Fast).AnnounceAsync(new AnnounceRequest(other, Peer('b'), 7002, 0, 0, 0), Ct));

        Assert.StartsWith("127.0.0.1 has started 1 torrents that this tracker still holds", http.FailureReason, StringComparison.Ordinal);
        Assert.Equal(http.FailureReason, udp.FailureReason);
        Assert.Equal([BinaryHash], server.InfoHashes);
        Assert.Equal(2, log.Count(line => line.StartsWith("rejected", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task StartAsync_NoTorrentPerAddress_IsRefused() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, MaxTorrentsPerAddress = 0 }, Ct));

    [Fact]
    public async Task Announce_InfoHashWithPlusForSpace_JoinsTheSameSwarmAsPercent20()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        await GetAsync(server, "/announce", Valid);
        var plus = Valid.Replace("%20", "+").Replace("aaaa&", "bbbb&").Replace("7001", "7002");

        var answer = await GetAsync(server, "/announce", plus);

        Assert.Null(Failure(answer));
        Assert.Equal(6, ((BString)answer["peers"]!).Bytes.Length);   // the first peer: same info hash, same swarm
        Assert.Equal(2, server.GetSwarm(BinaryHash).Peers.Count);
    }

    [Fact]
    public async Task Announce_CompactZero_AnswersDictionaryPeersWithPeerIds()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        await GetAsync(server, "/announce", Valid);
        var answer = await GetAsync(server, "/announce", Valid.Replace("aaaa&", "bbbb&").Replace("7001", "7002") + "&compact=0");
        var peer = Assert.IsType<BDictionary>(Assert.Single(Assert.IsType<BList>(answer["peers"]).Items));
        Assert.Equal(("127.0.0.1", 7001L, "-TZ0100-aaaaaaaaaaaa"), (peer["ip"]!.ToString(), ((BInteger)peer["port"]!).Value, peer["peer id"]!.ToString()));
    }

    [Fact]
    public async Task Announce_LogsOneLinePerAnnounce()
    {
        var log = new ConcurrentQueue<string>();
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Log = log.Enqueue }, Ct);
        await GetAsync(server, "/announce", Valid + "&event=started");
        Assert.Equal($"announce http 127.0.0.1:7001 {BinaryHash.Hex} event=started left=5 -> 0 peer(s), 0 seeder(s), 1 leecher(s)", Assert.Single(log));
    }

    [Fact]
    public async Task Scrape_WithoutInfoHash_IsAFailureByDefault()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        await GetAsync(server, "/announce", Valid);
        Assert.Equal("a scrape must name its torrents with info_hash: this tracker answers no full scrape", Failure(await GetAsync(server, "/scrape", "")));
    }

    [Fact]
    public async Task Scrape_WithoutInfoHash_WithFullScrapeOn_ListsEveryTorrent()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, FullScrape = true }, Ct);
        await GetAsync(server, "/announce", Valid);
        var files = Assert.IsType<BDictionary>((await GetAsync(server, "/scrape", ""))["files"]);
        var (key, stats) = Assert.Single(files.Entries);
        Assert.Equal(BinaryHash.Bytes.ToArray(), key);
        Assert.Equal(1, ((BInteger)((BDictionary)stats)["incomplete"]!).Value);
    }

    [Fact]
    public async Task StartAsync_PortZero_BindsOneFreePortForTcpAndUdp()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        Assert.NotEqual(0, server.Port);
        Assert.Equal($"http://127.0.0.1:{server.Port}/announce", server.HttpAnnounceUrl);
        Assert.Equal($"udp://127.0.0.1:{server.Port}/announce", server.UdpAnnounceUrl);
        Assert.Throws<SocketException>(() => new UdpClient(new IPEndPoint(IPAddress.Loopback, server.Port)));
    }

    [Fact]
    public async Task DisposeAsync_ReleasesThePort()
    {
        var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var port = server.Port;
        await server.DisposeAsync();
        await using var again = await TrackerServer.StartAsync(new TrackerServerOptions { Port = port }, Ct);
        Assert.Equal(port, again.Port);
    }

    [Fact]
    public async Task Announce_IPv6Loopback_AnswersPeers6OverHttpAnd18ByteEntriesOverUdp()
    {
        if (!Socket.OSSupportsIPv6) Assert.Skip("IPv6 is disabled on this machine");
        TrackerServer server;
        try { server = await TrackerServer.StartAsync(new TrackerServerOptions { Host = IPAddress.IPv6Loopback, Port = 0 }, Ct); }
        catch (SocketException e) { Assert.Skip($"cannot bind ::1 here: {e.Message}"); throw; }
        await using var _ = server;
        Assert.StartsWith("http://[::1]:", server.HttpAnnounceUrl);
        var http = new TrackerClient([[server.HttpAnnounceUrl]], TrackerClientTests.Fast);
        var udp = new TrackerClient([[server.UdpAnnounceUrl]], TrackerClientTests.Fast);
        await http.AnnounceAsync(new AnnounceRequest(BinaryHash, Peer('a'), 7001, 0, 0, 5), Ct);
        var viaHttp = await http.AnnounceAsync(new AnnounceRequest(BinaryHash, Peer('b'), 7002, 0, 0, 5), Ct);
        var viaUdp = await udp.AnnounceAsync(new AnnounceRequest(BinaryHash, Peer('c'), 7003, 0, 0, 5), Ct);
        Assert.Equal("[::1]:7001", Assert.Single(viaHttp.Peers).ToString());
        Assert.Equal(["[::1]:7001", "[::1]:7002"], viaUdp.Peers.Select(p => p.ToString()).Order());
        var raw = await Http.GetByteArrayAsync($"http://[::1]:{server.Port}/announce?{Valid.Replace("aaaa&", "dddd&")}", Ct);
        Assert.Contains("6:peers654:", Encoding.Latin1.GetString(raw)); // 3 peers x 18 bytes under peers6
    }

    [Theory]
    [InlineData("&event=%1b%5b2J%1b%5bH")]                                                    // clear the screen
    [InlineData("&event=x%0d%0aannounce%20http%201.2.3.4:1%20forged")]                        // forge a line
    [InlineData("&trackerid=%1b%5d0;title%07%0aforged")]                                      // echoed tracker id
    public async Task LogLines_CarryWhatAClientSentEscaped_NeverRaw(string extra)
    {
        // Issue 53: a raw escape sequence or a forged line in event= reached the tracker's log unescaped.
        var log = new ConcurrentQueue<string>();
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Log = log.Enqueue }, Ct);
        await GetAsync(server, "/announce", Valid + extra);

        var line = Assert.Single(log);
        Assert.DoesNotContain(line, c => char.IsControl(c));
        Assert.True(line.Contains("\\e", StringComparison.Ordinal) || line.Contains("\\n", StringComparison.Ordinal), line); // written as \e, \n
    }
}
