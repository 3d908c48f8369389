using System.Net;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 52 hash requests answered by our seeder over a real connection, and a peer that floods them.</summary>
public class SwarmPeerHashesTests
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
            OutputDirectory = data, ListenPort = 0, Trackers = [], Dht = false, BindAddresses = [IPAddress.Loopback],
            Encryption = EncryptionPolicy.Off, Transport = PeerTransport.Tcp, Log = line => { lock (log) log.Add(line); },
        };
        return (torrent, await Seeder.StartAsync(torrent, options, ct: Ct));
    }

    private static Task<PeerConnection> ConnectAsync(Torrent torrent, Seeder seeder) =>
        PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), torrent.InfoHash, PeerId.CreateOurs(),
            new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseV2 = true, IdleTimeout = TimeSpan.FromSeconds(20) }, Ct);

    private static PeerMessage Request(Torrent torrent, int index, int length) =>
        PeerMessage.HashMessage(MessageKind.HashRequest,
            HashMessages.EncodeRequest(new HashRequest(torrent.Files[0].PiecesRoot, 0, index, length, ProofLayers: 0)).AsMemory(5));

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
        await connection.SendAsync(flood, Ct);
        var answers = 0;
        try
        {
            while (true) if ((await connection.ReceiveAsync(Ct)).Kind == MessageKind.Hashes) answers++;
        }
        catch (WireException)
        {
            // Dropped: the connection ends.
        }

        Assert.InRange(answers, 1, flood.Length - 1);
        lock (log) Assert.Contains(log, l => l.Contains("(flood)", StringComparison.Ordinal));
    }
}
