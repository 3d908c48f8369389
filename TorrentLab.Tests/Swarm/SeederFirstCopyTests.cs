using System.Buffers.Binary;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>A lone seed with its default options, its upload capped so that it bounds the swarm, feeding TorrentLab
/// downloaders: what it sends, in order, read from its wire trace. On the simulated network (each peer a host of its
/// own, one virtual clock): the seed's 8 s for one copy pass in virtual time, and the order of its sends is a
/// function of the seed.</summary>
[Trait("Tier", "Slow")] // a process of its own
public class SeederFirstCopyTests
{
    [Fact]
    public void ALoneSeed_SendsEachPieceOnce_BeforeAnyPieceTwice() => Simulated.Passes(FirstCopy, seed: 56);

    [Fact]
    public void ALoneSeed_UnchokesAPeerInterestedAfterItsChokeRound_AtOnce() => Simulated.Passes(LateInterest, seed: 84);

    /// <summary>While a lone seed's first copy goes out, it has a slot for every interested peer: one whose interest
    /// comes after the seed's choke round is unchoked then, not at the next round ten seconds later (eight simulated
    /// downloaders that knew only a capped seed, half of them interested after its first round, took 1.15 times the
    /// bound with the seed's pieces going to the other half alone meanwhile).</summary>
    internal static async Task LateInterest(SimRun sim)
    {
        const int early = 4, late = 4;
        var built = TestTorrents.SingleFile(4 << 20, pieceLength: 64 * 1024, name: "late.bin", announce: null, seed: 84);
        var link = new LinkSpec(TimeSpan.FromMilliseconds(10), 4 << 20, 16 << 20);
        var seedHost = sim.Network.AddHost("seed", link);
        var hosts = Enumerable.Range(0, early + late).Select(i => sim.Network.AddHost($"d{i}", link)).ToList();
        built.WritePayload(sim.FolderOf(seedHost));
        var interestedAt = new Dictionary<IPEndPoint, TimeSpan>();
        var unchokedAfterInterest = new Dictionary<IPEndPoint, TimeSpan>();
        var fourUnchoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var settings = new SessionSettings { ListenPort = 6881, Dht = false, Transport = PeerTransport.Tcp };
        await using var seedSession = TorrentClient.StartSession(sim.SessionOn(seedHost, settings));
        await using var seeder = await Seeder.StartAsync(seedSession, built.Torrent, new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine,
            UploadLimit = new RateLimit(256 * 1024, clock: sim.Clock), // the seed bounds the swarm: its first copy goes out for 16 s
            Trace = e =>
            {
                lock (interestedAt)
                {
                    if (e.Direction == WireDirection.Received && e.Kind == MessageKind.Interested) interestedAt.TryAdd(e.Peer, sim.Clock.Now);
                    if (e.Direction == WireDirection.Sent && e.Kind == MessageKind.Unchoke && interestedAt.TryGetValue(e.Peer, out var at)
                        && unchokedAfterInterest.TryAdd(e.Peer, sim.Clock.Now - at) && unchokedAfterInterest.Count == early)
                        fourUnchoked.TrySetResult();
                }
            },
        }, allowPartial: false);
        var sessions = hosts.Select(h => TorrentClient.StartSession(sim.SessionOn(h, settings))).ToList();
        try
        {
            // Each downloader knows only the seed; the late ones come once the seed has decided for the early ones.
            Task Download(int i) => TorrentClient.DownloadAsync(sessions[i], built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(hosts[i]), Trackers = [], Log = hosts[i].LogLine, StallTimeout = TimeSpan.FromMinutes(2),
                ExtraPeers = [new IPEndPoint(seedHost.Address, 6881)],
            });
            var downloads = Enumerable.Range(0, early).Select(Download).ToList();
            await fourUnchoked.Task.WaitAsync(TimeSpan.FromMinutes(1), sim.Clock);
            downloads.AddRange(Enumerable.Range(early, late).Select(Download));
            await Task.WhenAll(downloads).WaitAsync(TimeSpan.FromMinutes(3), sim.Clock);
        }
        finally
        {
            foreach (var session in sessions) await session.DisposeAsync();
        }

        foreach (var h in hosts) Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(h), "late.bin")));
        lock (interestedAt)
        {
            Assert.Equal(early + late, unchokedAfterInterest.Count);
            var slow = unchokedAfterInterest.Where(p => p.Value > TimeSpan.FromSeconds(1)).Select(p => $"{p.Key} after {p.Value.TotalSeconds:0.00} s").ToList();
            Assert.True(slow.Count == 0, $"unchoked long after it said it was interested: {string.Join("; ", slow)}");
        }
    }

    internal static async Task FirstCopy(SimRun sim)
    {
        const int downloaders = 4;
        var built = TestTorrents.SingleFile(2 << 20, pieceLength: 64 * 1024, name: "first.bin", announce: null, seed: 56);
        // The seed's line is far faster than its cap; the downloaders' lines too: the cap bounds the swarm.
        var link = new LinkSpec(TimeSpan.FromMilliseconds(10), 4 << 20, 16 << 20);
        var seedHost = sim.Network.AddHost("seed", link);
        var hosts = Enumerable.Range(0, downloaders).Select(i => sim.Network.AddHost($"d{i}", link)).ToList();
        built.WritePayload(sim.FolderOf(seedHost));
        var sent = new List<(IPEndPoint Peer, int Index, int Begin, int Length)>();
        var settings = new SessionSettings { ListenPort = 6881, Dht = false, Transport = PeerTransport.Tcp };
        await using var seedSession = TorrentClient.StartSession(sim.SessionOn(seedHost, settings));
        await using var seeder = await Seeder.StartAsync(seedSession, built.Torrent, new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine,
            UploadLimit = new RateLimit(256 * 1024, clock: sim.Clock), // 8 s for one copy: the seed bounds the swarm, as a home uplink does
            Trace = e =>
            {
                // <len 4><id=7><index 4><begin 4><block>: the head holds index and begin.
                if (e.Direction == WireDirection.Sent && e.Kind == MessageKind.Piece)
                    sent.Add((e.Peer, BinaryPrimitives.ReadInt32BigEndian(e.Head.AsSpan(5)), BinaryPrimitives.ReadInt32BigEndian(e.Head.AsSpan(9)), e.WireLength - 13));
            },
        }, allowPartial: false);
        var sessions = hosts.Select(h => TorrentClient.StartSession(sim.SessionOn(h, settings))).ToList();
        try
        {
            // What a tracker would answer: the seed and the downloaders before.
            var downloads = hosts.Select((h, i) => TorrentClient.DownloadAsync(sessions[i], built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(h), Trackers = [], Log = h.LogLine, StallTimeout = TimeSpan.FromMinutes(2),
                ExtraPeers = [new IPEndPoint(seedHost.Address, 6881), .. hosts.Take(i).Select(o => new IPEndPoint(o.Address, 6881))],
            })).ToList();
            await Task.WhenAll(downloads).WaitAsync(TimeSpan.FromMinutes(3), sim.Clock);
        }
        finally
        {
            foreach (var session in sessions) await session.DisposeAsync();
        }

        foreach (var h in hosts) Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(h), "first.bin")));
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
        Assert.True(twice.Count == 0, $"sent to a second peer before the first copy was out: {string.Join("; ", twice.Take(10))}");
        sim.Log.Line("scenario", $"all complete at {sim.Clock.Now}; {sent.Count} blocks sent by the seed");
    }
}
