using System.Net;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>A peer that queues more requests than <see cref="PeerUpload.MaxQueuedRequests"/> with our seeder, over a
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

        const int asked = PeerUpload.MaxQueuedRequests + 300;
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

    [Fact]
    public async Task ARequestWaitingBehindFirstCopies_IsServedWhenTheRuleEnds_NotAfterThem()
    {
        // Issue 84: a request held by the first copy was served only while the rule ran, and once it ended nothing woke
        // its sender (an aria2 downloader sat at 95 % for a minute). Under an upload limit, X keeps the seed's tokens busy
        // with 63 first copies (16 s at four blocks a second); Y asks for a piece X is getting, which waits behind them.
        // Another complete source (Z) ends the rule: Y's block comes while X still waits for most of its own.
        using var folder = new TempFolder();
        var log = new List<string>();
        var (torrent, seeder) = await SeedSlowlyAsync(folder, log);
        await using var _ = seeder;
        await using var x = await UnchokedAsync(torrent, seeder);
        await x.SendAsync(Enumerable.Range(1, torrent.PieceCount - 1).Select(i => PeerMessage.Request(i, 0, 16 * 1024)).ToArray(), Ct);
        var xBlocks = 0;
        var xReading = Task.Run(async () =>
        {
            try { while (true) if ((await x.ReceiveAsync(Ct)).Kind == MessageKind.Piece) Interlocked.Increment(ref xBlocks); }
            catch (Exception e) when (e is WireException or OperationCanceledException) { }
        }, Ct);
        await Wait.UntilAsync(() => Volatile.Read(ref xBlocks) > 0, TimeSpan.FromSeconds(30), Ct); // X's first copies go out
        await using var y = await UnchokedAsync(torrent, seeder);
        await y.SendAsync(PeerMessage.Request(5, 0, 16 * 1024), Ct);

        await using var z = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseFast = true }, Ct);
        await z.SendAsync(PeerMessage.HaveAll, Ct); // BEP 6: a seed (without it Y waits for all 63: checked)
        // Y holds nothing while piece 0 has not started: when the seed's pace would let it start one, it tells Y no once
        // (BEP 6) so that Y asks for a piece nobody is getting. Y has nothing else to ask for and asks again, as our
        // downloader does; the second ask is not refused and waits behind X's first copies like the first one would.
        PeerMessage answer;
        var rejects = 0;
        while (true)
        {
            answer = await y.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
            if (answer.Kind == MessageKind.Piece || (answer.Kind == MessageKind.Reject && ++rejects > 1)) break;
            if (answer.Kind == MessageKind.Reject) await y.SendAsync(PeerMessage.Request(5, 0, 16 * 1024), Ct);
        }

        Assert.Equal(MessageKind.Piece, answer.Kind);
        Assert.True(Volatile.Read(ref xBlocks) < torrent.PieceCount - 1, $"Y's block came after X's {xBlocks} first copies");
    }

    /// <summary>A seeder of 64 pieces of one block each, uploading four blocks a second.</summary>
    private static async Task<(Torrent Torrent, Seeder Seeder)> SeedSlowlyAsync(TempFolder folder, List<string> log)
    {
        var payload = new byte[64 * 16 * 1024];
        new Random(84).NextBytes(payload);
        var torrent = Torrent.Parse(TorrentBuilder.Create("slow.bin", payload,
            TorrentCreateOptions.WithTrackers("http://127.0.0.1:1/announce") with { PieceLength = 16 * 1024, CreationDate = null }));
        var data = folder.Combine("data");
        Directory.CreateDirectory(data);
        await File.WriteAllBytesAsync(Path.Combine(data, "slow.bin"), payload, Ct);
        var seeder = await Seeder.StartAsync(torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0, Dht = false, BindAddresses = [IPAddress.Loopback], Encryption = EncryptionPolicy.Off, Transport = PeerTransport.Tcp,
            },
            UploadLimit = new RateLimit(64 * 1024),
            OutputDirectory = data, Trackers = [], Log = line => { lock (log) log.Add(line); },
        }, ct: Ct);
        return (torrent, seeder);
    }

    /// <summary>A connection that said it is interested and was unchoked.</summary>
    private static async Task<PeerConnection> UnchokedAsync(Torrent torrent, Seeder seeder)
    {
        var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseFast = true }, Ct);
        await connection.SendAsync(PeerMessage.Interested, Ct);
        while ((await connection.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct)).Kind != MessageKind.Unchoke) { }
        return connection;
    }
}
