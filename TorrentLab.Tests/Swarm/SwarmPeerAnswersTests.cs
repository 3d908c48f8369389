using System.Net;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>Requests besides blocks answered by our seeder over a real connection (BEP 52 hashes, BEP 9 metadata),
/// and a peer that floods them without reading the answers.</summary>
public class SwarmPeerAnswersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int Pieces = 512; // one 16 KiB block per piece: the piece layer is the leaves, 512 hashes

    private static async Task<(Torrent Torrent, Seeder Seeder)> SeedV2Async(TempFolder folder, List<string> log)
    {
        var payload = new byte[Pieces * 16 * 1024];
        new Random(52).NextBytes(payload);
        var torrent = Torrent.Parse(TorrentBuilder.Create("v2.bin", payload,
            TorrentCreateOptions.WithTrackers("http://127.0.0.1:1/announce") with { PieceLength = 16 * 1024, Format = TorrentFormat.V2, CreationDate = null }));
        var data = folder.Combine("data");
        Directory.CreateDirectory(data);
        await File.WriteAllBytesAsync(Path.Combine(data, "v2.bin"), payload, Ct);
        var options = new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                Dht = false,
                BindAddresses = [IPAddress.Loopback],
                Encryption = EncryptionPolicy.Off,
                Transport = PeerTransport.Tcp,
            },
            OutputDirectory = data, Trackers = [], Log = line => { lock (log) log.Add(line); },
        };
        return (torrent, await Seeder.StartAsync(torrent, options, ct: Ct));
    }

    private static Task<PeerConnection> ConnectAsync(Torrent torrent, Seeder seeder) =>
        PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), torrent.InfoHash, PeerId.CreateOurs(),
            new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseV2 = true, IdleTimeout = TimeSpan.FromSeconds(20) }, Ct);

    private static PeerMessage Request(Torrent torrent, int index, int length) =>
        PeerMessage.HashMessage(MessageKind.HashRequest,
            HashMessages.EncodeRequest(new HashRequest(torrent.Files[0].PiecesRoot, 0, index, length, ProofLayers: 0)).AsMemory(5));

    /// <summary>Sends the whole flood, or as much as the seeder reads before it drops us for it (then the send fails
    /// with a broken pipe; the log says why, and the test checks that).</summary>
    private static async Task SendFloodAsync(PeerConnection connection, PeerMessage[] flood)
    {
        try { await connection.SendAsync(flood, Ct); }
        catch (WireException) { /* dropped while still sending */ }
    }

    /// <summary>Reads until the seeder closes the connection and counts the answers of <paramref name="kind"/>: fewer
    /// than asked, as the rest were never sent (those already in our socket may even be lost to the reset).</summary>
    private static async Task<int> AnswersUntilDroppedAsync(PeerConnection connection, MessageKind kind)
    {
        var answers = 0;
        try
        {
            while (true) if ((await connection.ReceiveAsync(Ct)).Kind == kind) answers++;
        }
        catch (WireException)
        {
            return answers; // dropped: the connection ends
        }
    }

    /// <summary>Waits (bounded) until the seeder logs a peer dropped for a flood.</summary>
    private static async Task FloodLoggedAsync(List<string> log)
    {
        bool Logged() { lock (log) return log.Any(l => l.Contains("(flood)", StringComparison.Ordinal)); }
        await Wait.UntilAsync(() => Logged(), TimeSpan.FromSeconds(30), Ct);
        Assert.True(Logged(), "the seeder never dropped the flooding peer");
    }

    [Fact]
    public async Task HashRequest_ForTheWholeLayer_IsAnsweredWithTheTorrentsPieceLayer()
    {
        using var folder = new TempFolder();
        var log = new List<string>();
        var (torrent, seeder) = await SeedV2Async(folder, log);
        await using var _ = seeder;
        await using var connection = await ConnectAsync(torrent, seeder);

        await connection.SendAsync(Request(torrent, 0, Pieces), Ct);
        PeerMessage answer;
        do answer = await connection.ReceiveAsync(Ct); while (answer.Kind != MessageKind.Hashes);

        var (_, hashes) = HashMessages.DecodeHashes(answer.Payload);
        Assert.Equal(Convert.ToHexStringLower(torrent.Files[0].PieceLayer.Span), Convert.ToHexStringLower(hashes.Span));
    }

    [Fact]
    public async Task HashRequests_SentFasterThanTheAnswersAreRead_DropThePeerAsAFlood()
    {
        using var folder = new TempFolder();
        var log = new List<string>();
        var (torrent, seeder) = await SeedV2Async(folder, log);
        await using var _ = seeder;
        await using var connection = await ConnectAsync(torrent, seeder);

        // 4,000 requests of 53 bytes ask for 64 MiB of answers: far more than the sockets' buffers hold unread.
        var flood = Enumerable.Repeat(Request(torrent, 0, Pieces), 4_000).ToArray();
        await SendFloodAsync(connection, flood);
        await FloodLoggedAsync(log); // nothing read until then: the answers pile up as a flooding peer lets them

        Assert.InRange(await AnswersUntilDroppedAsync(connection, MessageKind.Hashes), 0, flood.Length - 1);
    }

    [Fact]
    public async Task MetadataRequests_SentFasterThanTheAnswersAreRead_DropThePeerAsAFlood()
    {
        using var folder = new TempFolder();
        var log = new List<string>();
        // 1,024 pieces: 20 KiB of piece hashes, so metadata piece 0 is a whole 16 KiB. The payload is zeros: a sparse file.
        var torrent = Torrent.Parse(TorrentBuilder.Create("big-info.bin", new byte[1024 * 16 * 1024],
            TorrentCreateOptions.WithTrackers("http://127.0.0.1:1/announce") with { PieceLength = 16 * 1024, CreationDate = null }));
        var data = folder.Combine("zeros");
        Directory.CreateDirectory(data);
        using (var file = File.Create(Path.Combine(data, "big-info.bin"))) file.SetLength(torrent.TotalLength);
        await using var seeder = await Seeder.StartAsync(torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                Dht = false,
                BindAddresses = [IPAddress.Loopback],
                Encryption = EncryptionPolicy.Off,
                Transport = PeerTransport.Tcp,
            },
            OutputDirectory = data, Trackers = [], Log = line => { lock (log) log.Add(line); },
        }, ct: Ct);
        await using var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseExtensions = true, IdleTimeout = TimeSpan.FromSeconds(20) }, Ct);
        var channel = new ExtensionChannel(connection, ExtensionHandshake.Ours(connection.RemoteEndPoint, null, null, pex: false));
        await channel.SendHandshakeAsync(Ct);
        while (channel.Theirs is null)
            if (await connection.ReceiveAsync(Ct) is { Kind: MessageKind.Extended } message) channel.Route(message);
        Assert.True(channel.TryGetTheirId(ExtensionRegistry.UtMetadata.Name, out var id));

        // 4,000 requests for the 16 KiB piece 0 ask for 64 MiB of answers.
        var flood = Enumerable.Repeat(PeerMessage.Extended(id, MetadataMessage.Request(0).Encode()), 4_000).ToArray();
        await SendFloodAsync(connection, flood);
        await FloodLoggedAsync(log); // nothing read until then: the answers pile up as a flooding peer lets them

        Assert.InRange(await AnswersUntilDroppedAsync(connection, MessageKind.Extended), 0, flood.Length - 1);
        lock (log) Assert.Contains(log, l => l.Contains("sent ut_metadata requests", StringComparison.Ordinal));
    }
}
