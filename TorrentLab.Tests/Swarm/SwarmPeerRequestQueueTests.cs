using System.Net;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>A peer that queues more requests than <see cref="SwarmPeer.MaxQueuedRequests"/> with our seeder, over a
/// real connection: an honest client that reads (rtorrent queued more than 500 on a 512 MiB torrent) gets the excess
/// refused, one reject each (BEP 6), and keeps its connection; only one that keeps asking while nothing leaves for it
/// is dropped (Reliability/SeederFloodTests).</summary>
public class SwarmPeerRequestQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequestsBeyondTheQueue_AreRejected_AndThePeerKeepsBeingServed()
    {
        using var folder = new TempFolder();
        var log = new List<string>();
        var payload = new byte[64 * 16 * 1024];
        new Random(84).NextBytes(payload);
        var torrent = Torrent.Parse(TorrentBuilder.Create("deep.bin", payload,
            TorrentCreateOptions.WithTrackers("http://127.0.0.1:1/announce") with { PieceLength = 16 * 1024, CreationDate = null }));
        var data = folder.Combine("data");
        Directory.CreateDirectory(data);
        await File.WriteAllBytesAsync(Path.Combine(data, "deep.bin"), payload, Ct);
        await using var seeder = await Seeder.StartAsync(torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0, Dht = false, BindAddresses = [IPAddress.Loopback], Encryption = EncryptionPolicy.Off, Transport = PeerTransport.Tcp,
            },
            // Four blocks a second: the requests pile up in its queue while the test sends them.
            UploadLimit = new RateLimit(64 * 1024),
            OutputDirectory = data, Trackers = [], Log = line => { lock (log) log.Add(line); },
        }, ct: Ct);
        await using var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseFast = true }, Ct);
        Assert.True(connection.FastAgreed);
        await connection.SendAsync(PeerMessage.Interested, Ct);
        while ((await connection.ReceiveAsync(Ct)).Kind != MessageKind.Unchoke) { }

        const int asked = SwarmPeer.MaxQueuedRequests + 300;
        var requests = Enumerable.Range(0, asked).Select(i => PeerMessage.Request(i % torrent.PieceCount, 0, 16 * 1024)).ToArray();
        var sending = connection.SendAsync(requests, Ct).AsTask();
        int rejects = 0, pieces = 0, piecesAfterLastReject = 0;
        while (piecesAfterLastReject < 2)
        {
            var message = await connection.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
            if (message.Kind == MessageKind.Reject) { rejects++; piecesAfterLastReject = 0; }
            else if (message.Kind == MessageKind.Piece) { pieces++; if (rejects > 0) piecesAfterLastReject++; }
        }
        await sending;

        Assert.InRange(rejects, 1, 300); // the excess (a few fewer when blocks left while the requests came)
        Assert.True(pieces >= 2, $"{pieces} blocks");
        lock (log) Assert.DoesNotContain(log, l => l.Contains("flood", StringComparison.Ordinal));
    }
}
