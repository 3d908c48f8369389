using System.Net;
using System.Text;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>A seeding swarm against scripted peers on loopback: clients banned by peer id prefix or by the client name
/// of their extension handshake, and peers that lie about their progress, are dropped and banned with the reason.</summary>
public class PeerRulesSwarmTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<Seeder> SeedAsync(MockSwarm swarm, IEnumerable<string> rules, bool breakPieceZero = false)
    {
        var data = swarm.Folder.Combine("seed");
        swarm.Built.WritePayload(data);
        if (breakPieceZero)
        {
            var (first, _) = swarm.Built.Files[0];
            await using var stream = File.OpenWrite(Path.Combine(data, first));
            stream.WriteByte(0x55); // piece 0 fails its hash: a partial seed, which keeps a peer that claims every piece
        }
        return await Seeder.StartAsync(swarm.Built.Torrent,
            swarm.Options(data).WithSession(s => s with { ClientBans = new ClientBanList(rules) }), allowPartial: breakPieceZero, Ct);
    }

    /// <summary>A peer id of the client <paramref name="prefix"/> names (<c>-XL0012-</c>), its last bytes random.</summary>
    private static PeerId IdOf(string prefix) =>
        new([.. Encoding.ASCII.GetBytes(prefix), .. PeerId.CreateOurs().Bytes[prefix.Length..]]);

    private static Task<PeerConnection> ConnectAsync(MockSwarm swarm, Seeder seeder, PeerId id, bool extensions = false, bool fast = false) =>
        PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), swarm.Built.Torrent.InfoHash, id, new PeerConnectionOptions
        {
            PieceCount = swarm.Built.Torrent.PieceCount, IdleTimeout = Patience, AdvertiseExtensions = extensions, AdvertiseFast = fast,
        }, Ct);

    /// <summary>Every message until the connection closes (at most <see cref="Patience"/>).</summary>
    private static async Task<List<MessageKind>> UntilClosedAsync(PeerConnection connection)
    {
        var seen = new List<MessageKind>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(Patience);
        try { while (true) seen.Add((await connection.ReceiveAsync(limit.Token)).Kind); }
        catch (WireException) { return seen; }
    }

    private static async Task UnchokedAsync(PeerConnection connection)
    {
        await connection.SendInterestedAsync(Ct);
        while ((await connection.ReceiveAsync(Ct)).Kind != MessageKind.Unchoke) { }
    }

    [Fact]
    public async Task APeerIdWithABannedPrefix_IsClosedRightAfterItsHandshake_AndBanned_WhileAnotherClientIsServed()
    {
        await using var swarm = await MockSwarm.StartAsync(256 * 1024, 16 * 1024, Ct);
        await using var seeder = await SeedAsync(swarm, ["-XL0012-", "S58B"]);

        await using var xunlei = await ConnectAsync(swarm, seeder, IdOf("-XL0012-"));
        var toXunlei = await UntilClosedAsync(xunlei);
        await using var shadow = await ConnectAsync(swarm, seeder, IdOf("S58B-----"));
        var toShadow = await UntilClosedAsync(shadow);
        await using var other = await ConnectAsync(swarm, seeder, IdOf("-XL0013-"));
        var first = await other.ReceiveAsync(Ct);

        Assert.Empty(toXunlei); // not even a bitfield
        Assert.Empty(toShadow);
        Assert.Equal(MessageKind.Bitfield, first.Kind);
        Assert.Contains(seeder.BadPeers, b => b.Contains(": client banned by rule '-XL0012-' (peer id -XL0012-...", StringComparison.Ordinal));
        Assert.Contains(seeder.BadPeers, b => b.Contains("client banned by rule 'S58B'", StringComparison.Ordinal));
        Assert.Equal(2, seeder.BadPeers.Count); // the other client is not among them
    }

    [Fact]
    public async Task APeerWhoseExtensionHandshakeNamesABannedClient_IsDropped_AndNeverUnchoked()
    {
        await using var swarm = await MockSwarm.StartAsync(256 * 1024, 16 * 1024, Ct);
        await using var seeder = await SeedAsync(swarm, ["xunlei"]);
        await using var honest = await ConnectAsync(swarm, seeder, PeerId.CreateOurs(), extensions: true);
        await using var banned = await ConnectAsync(swarm, seeder, PeerId.CreateOurs(), extensions: true);

        // BEP 10: the extension handshake comes right after the BitTorrent one; interested follows it at once.
        await honest.SendAsync(new PeerMessage[] { PeerMessage.Extended(ExtensionIds.Handshake, new ExtensionHandshake { Client = "qBittorrent/5.0.0" }.Encode()), PeerMessage.Interested }, Ct);
        await banned.SendAsync(new PeerMessage[] { PeerMessage.Extended(ExtensionIds.Handshake, new ExtensionHandshake { Client = "Xunlei 0.0.1.2" }.Encode()), PeerMessage.Interested }, Ct);
        var toBanned = await UntilClosedAsync(banned);
        while ((await honest.ReceiveAsync(Ct)).Kind != MessageKind.Unchoke) { }

        Assert.DoesNotContain(MessageKind.Unchoke, toBanned);
        var ban = Assert.Single(seeder.BadPeers); // the honest one is not banned
        Assert.EndsWith(": client banned by rule 'xunlei' (its extension handshake says v=\"Xunlei 0.0.1.2\")", ban, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APeerThatSaysHaveAll_ThenRequests_IsDroppedAndBanned_SayingItClaimsToBeASeed()
    {
        await using var swarm = await MockSwarm.StartAsync(512 * 1024, 32 * 1024, Ct);
        await using var seeder = await SeedAsync(swarm, [], breakPieceZero: true);
        await using var liar = await ConnectAsync(swarm, seeder, PeerId.CreateOurs(), fast: true);
        Assert.True(liar.FastAgreed);

        await liar.SendAsync(PeerMessage.HaveAll, Ct);
        await UnchokedAsync(liar);
        await liar.SendAsync(Enumerable.Range(0, 4).Select(i => PeerMessage.Request(3 + i, 0, 16 * 1024)).ToArray(), Ct);
        await UntilClosedAsync(liar);

        Assert.Contains(seeder.BadPeers, b => b.Contains(": claims to be a seed (have all) yet requested piece 5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APeerThatKeepsItsBitfieldEmpty_WhileDownloading_IsDroppedAfterTheMargin_AndBanned()
    {
        const int PieceLength = 256 * 1024;
        await using var swarm = await MockSwarm.StartAsync(40 * 1024 * 1024, PieceLength, Ct);
        await using var seeder = await SeedAsync(swarm, []);
        await using var liar = await ConnectAsync(swarm, seeder, PeerId.CreateOurs());
        await UnchokedAsync(liar);

        // It downloads piece after piece, 64 requests in flight, and never says have.
        var blocks = Enumerable.Range(0, swarm.Built.Torrent.PieceCount)
            .SelectMany(p => Enumerable.Range(0, swarm.Built.Torrent.GetPieceLength(p) / (16 * 1024)).Select(b => (p, b * 16 * 1024))).ToList();
        var next = 0;
        long received = 0;
        for (; next < 64; next++) await liar.SendRequestAsync(blocks[next].p, blocks[next].Item2, 16 * 1024, Ct);
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(Patience);
            while (true)
            {
                var message = await liar.ReceiveAsync(limit.Token);
                if (message.Kind != MessageKind.Piece) continue;
                received += message.Payload.Length;
                if (next < blocks.Count) { await liar.SendRequestAsync(blocks[next].p, blocks[next].Item2, 16 * 1024, limit.Token); next++; }
            }
        }
        catch (WireException) { /* dropped */ }
        // Dropped by the sender task: the socket closes first, the ban is recorded as the peer's loops end.
        static bool Named(string b) => b.Contains(": claimed progress did not grow: took 32", StringComparison.Ordinal) && b.Contains("claims 0 %", StringComparison.Ordinal);
        await Wait.UntilAsync(() => seeder.BadPeers.Any(Named), Patience, Ct);

        Assert.InRange(received, ProgressClaims.MinMarginBytes - 64 * 16 * 1024, ProgressClaims.MinMarginBytes + 64 * 16 * 1024);
        Assert.True(received < swarm.Built.Torrent.TotalLength, $"it took the whole torrent ({received} bytes)");
        Assert.Contains(seeder.BadPeers, Named);
    }
}
