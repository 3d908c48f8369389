using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>A lone seed with its default options, its upload capped so that it bounds the swarm, feeding TorrentLab
/// downloaders on loopback: what it sends, in order, read from its wire trace.</summary>
[Trait("Tier", "Slow")]
public class SeederFirstCopyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ALoneSeed_SendsEachPieceOnce_BeforeAnyPieceTwice()
    {
        const int downloaders = 4;
        using var folder = new TempFolder("torrentlab-first-copy");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromSeconds(5) }, Ct);
        var built = TestTorrents.SingleFile(2 << 20, pieceLength: 64 * 1024, name: "first.bin", announce: tracker.HttpAnnounceUrl, seed: 56);
        built.WritePayload(folder.Combine("seed"));
        var sent = new ConcurrentQueue<(IPEndPoint Peer, int Index, int Begin, int Length)>();
        var log = new ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings { ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false },
            OutputDirectory = folder.Combine("seed"),
            UploadLimit = new RateLimit(256 * 1024), // 8 s for one copy: the seed bounds the swarm, as a home uplink does
            Log = log.Enqueue,
            Trace = e =>
            {
                // <len 4><id=7><index 4><begin 4><block>: the head holds index and begin.
                if (e.Direction == WireDirection.Sent && e.Kind == MessageKind.Piece)
                    sent.Enqueue((e.Peer, BinaryPrimitives.ReadInt32BigEndian(e.Head.AsSpan(5)), BinaryPrimitives.ReadInt32BigEndian(e.Head.AsSpan(9)), e.WireLength - 13));
            },
        }, ct: Ct);
        var seedAddress = new IPEndPoint(IPAddress.Loopback, seeder.Port);

        var downloads = Enumerable.Range(0, downloaders).Select(i => SwarmDownload.RunAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings { ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false },
            OutputDirectory = folder.Combine($"d{i}"),
            ExtraPeers = [seedAddress],
            StallTimeout = TimeSpan.FromMinutes(2),
        }, null, Ct)).ToList();
        await Task.WhenAll(downloads).WaitAsync(TimeSpan.FromMinutes(3), Ct);

        for (var i = 0; i < downloaders; i++) Assert.Equal(built.Payload, await File.ReadAllBytesAsync(folder.Combine($"d{i}", "first.bin"), Ct));
        // Walk the seed's sends in order until every piece has left whole at least once: until then no piece went to a
        // second peer.
        var bytesTo = new Dictionary<(int Index, IPEndPoint Peer), int>();
        var firstPeer = new Dictionary<int, IPEndPoint>();
        var whole = new HashSet<int>();
        var twice = new List<string>();
        foreach (var (peer, index, begin, length) in sent)
        {
            if (whole.Count == built.Torrent.PieceCount) break;
            if (!firstPeer.TryGetValue(index, out var owner)) firstPeer[index] = owner = peer;
            if (!owner.Equals(peer)) twice.Add($"piece {index} block {begin / WireLimits.BlockLength} to {peer} after {owner}, with {whole.Count} pieces whole");
            bytesTo[(index, peer)] = bytesTo.GetValueOrDefault((index, peer)) + length;
            if (bytesTo[(index, peer)] >= built.Torrent.GetPieceLength(index)) whole.Add(index);
        }
        Assert.Equal(built.Torrent.PieceCount, whole.Count);
        Assert.True(twice.Count == 0, $"sent to a second peer before the first copy was out: {string.Join("; ", twice.Take(10))}\nthe seed's log:\n{string.Join("\n", log.TakeLast(40))}");
    }
}
