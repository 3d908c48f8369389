using System.Net;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Web;

/// <summary>Peer rules through the REST API: the client ban rules as a setting (changed, refused, saved), and banned
/// peers listed in a torrent's peers with the reason.</summary>
public class PeerRulesApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A server seeding the test torrent (downloaded from the mock swarm first).</summary>
    private static async Task<WebTestServer> SeedingAsync()
    {
        var web = await WebTestServer.StartAsync(Ct, configure: o => WebTestServer.SwarmEngine(o) with { SeedAfterDownload = true });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "seeding", Ct);
        return web;
    }

    private static Task<PeerConnection> ConnectAsync(WebTestServer web, PeerId id) =>
        PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, web.Server.PeerPort), web.Swarm.Built.Torrent.InfoHash, id,
            new PeerConnectionOptions { PieceCount = web.Swarm.Built.Torrent.PieceCount, IdleTimeout = TimeSpan.FromSeconds(30) }, Ct);

    /// <summary>Reads until the server closes the connection.</summary>
    private static async Task UntilClosedAsync(PeerConnection connection)
    {
        try { while (true) await connection.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct); }
        catch (WireException) { /* closed */ }
    }

    private static async Task<PeerDetails?> BannedRowAsync(WebTestServer web)
    {
        PeerDetails? row = null;
        await Wait.UntilAsync(async () => (row = (await web.DetailsAsync(Ct)).Peers.FirstOrDefault(p => p.Banned is not null)) is not null,
            TimeSpan.FromSeconds(20), Ct);
        return row;
    }

    [Fact]
    public async Task BanClients_SetThroughTheApi_RefusesThatClient_AndListsItBannedWithTheRule_AndIsSaved()
    {
        await using var web = await SeedingAsync();

        using var bad = await web.Http.PutAsJsonAsync("/api/settings", new { banClients = new[] { "-SD", "id:" } }, Ct);
        using var set = await web.Http.PutAsJsonAsync("/api/settings", new { banClients = new[] { "-XL0012-", " Xunlei " } }, Ct);
        var settings = await set.Content.ReadFromJsonAsync<WebSettings>(Ct);
        await using var xunlei = await ConnectAsync(web, new PeerId(Encoding.ASCII.GetBytes("-XL0012-abcdefghijkl")));
        await UntilClosedAsync(xunlei);
        var row = await BannedRowAsync(web);
        await web.RestartAsync(Ct);
        var after = await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("client ban rule", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(["-XL0012-", "Xunlei"], settings!.BanClients);
        Assert.NotNull(row);
        Assert.False(row.Connected);
        Assert.StartsWith("client banned by rule '-XL0012-' (peer id -XL0012-...", row.Banned, StringComparison.Ordinal);
        Assert.Equal(["-XL0012-", "Xunlei"], after!.BanClients);
    }

    [Fact]
    public async Task APeerThatRequestsPiecesItClaims_IsBanned_AndTheApiListsItWithTheReason()
    {
        await using var web = await SeedingAsync();
        await using var liar = await ConnectAsync(web, PeerId.CreateOurs());

        var claims = new Bitfield(web.Swarm.Built.Torrent.PieceCount);
        for (var i = 0; i < 6; i++) claims.Set(i);
        await liar.SendBitfieldAsync(claims, Ct);
        await liar.SendInterestedAsync(Ct);
        while ((await liar.ReceiveAsync(Ct)).Kind != MessageKind.Unchoke) { }
        await liar.SendAsync(Enumerable.Range(0, 4).Select(i => PeerMessage.Request(2, 0, 16 * 1024)).ToArray(), Ct);
        await UntilClosedAsync(liar);
        var row = await BannedRowAsync(web);

        Assert.NotNull(row);
        Assert.StartsWith("claims to have piece 2 yet requested it (3 requests for pieces it claims, claims 50 %)", row.Banned, StringComparison.Ordinal);
    }
}
