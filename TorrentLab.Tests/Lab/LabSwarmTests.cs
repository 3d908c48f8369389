using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Lab;

public class LabSwarmTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_TrackerHandsOutEverySeeder()
    {
        using var folder = new TempFolder();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = new Random(1), Folder = folder.Path, Behaviours = [SyntheticBehaviour.Normal, SyntheticBehaviour.Slow],
        }, Ct);
        using var client = new TrackerClient([[swarm.Tracker.HttpAnnounceUrl]]);

        var answer = await client.AnnounceAsync(new AnnounceRequest(swarm.Torrent.Torrent.InfoHash, PeerId.CreateOurs(), 6881, 0, 0,
            swarm.Torrent.Torrent.TotalLength, AnnounceEvent.Started), Ct);

        Assert.Equal(swarm.PeerAddresses.Order(), answer.Peers.Select(p => p.ToString()).Order());
        Assert.Equal(swarm.Tracker.HttpAnnounceUrl, swarm.Torrent.Torrent.Announce);
        Assert.True(File.Exists(swarm.Torrent.Path));
    }

    [Fact]
    public async Task StartAsync_SameSeed_SamePeerIdsAndTheTrackerListsPeersInTheOrderTheyStarted()
    {
        using var folder = new TempFolder();
        SyntheticBehaviour[] behaviours = [SyntheticBehaviour.Slow, SyntheticBehaviour.CorruptBlock, SyntheticBehaviour.Normal, SyntheticBehaviour.ChokesMidPiece];
        await using var first = await LabSwarm.StartAsync(new LabSwarmOptions { Random = new Random(3), Folder = folder.Combine("a"), Behaviours = behaviours }, Ct);
        await using var second = await LabSwarm.StartAsync(new LabSwarmOptions { Random = new Random(3), Folder = folder.Combine("b"), Behaviours = behaviours }, Ct);
        using var client = new TrackerClient([[first.Tracker.HttpAnnounceUrl]]);

        var answers = new List<string[]>();
        for (var i = 0; i < 3; i++)
        {
            var answer = await client.AnnounceAsync(new AnnounceRequest(first.Torrent.Torrent.InfoHash, PeerId.CreateOurs(), 6881 + i, 0, 0,
                first.Torrent.Torrent.TotalLength, AnnounceEvent.Started), Ct);
            answers.Add([.. answer.Peers.Take(behaviours.Length).Select(p => p.ToString())]);
        }

        Assert.Equal(first.Peers.Select(p => p.PeerId), second.Peers.Select(p => p.PeerId));
        Assert.Equal(first.Torrent.Torrent.InfoHash, second.Torrent.Torrent.InfoHash);
        Assert.All(answers, a => Assert.Equal(first.PeerAddresses, a));   // every time, in the order the seeders started
    }

    [Fact]
    public async Task StartAsync_PayloadSize_GivesExactlyThatManyBytes()
    {
        using var folder = new TempFolder();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = new Random(2), Folder = folder.Path, Behaviours = [SyntheticBehaviour.Normal], PayloadSize = 100_001,
        }, Ct);

        Assert.Equal(100_001, swarm.Torrent.Torrent.TotalLength);
        Assert.Equal(100_001, swarm.Torrent.Payload.Length);
    }

    [Fact]
    public void Generate_LastPieceIsAlwaysShorter()
    {
        using var folder = new TempFolder();
        for (var seed = 0; seed < 20; seed++)
        {
            var torrent = LabTorrent.Generate(new Random(seed), folder.Path, "http://127.0.0.1:1/announce").Torrent;
            Assert.InRange(torrent.PieceCount, 3, 8);
            Assert.True(torrent.GetPieceLength(torrent.PieceCount - 1) < torrent.PieceLength);
            Assert.True(torrent.PieceLength > 16 * 1024);   // more than one block per piece
        }
    }

    [Fact]
    public void GenerateWithLargeInfo_InfoDictionaryTakesTwoMetadataPieces()
    {
        using var folder = new TempFolder();
        var torrent = LabTorrent.GenerateWithLargeInfo(new Random(3), folder.Path, "http://127.0.0.1:1/announce").Torrent;

        Assert.Equal(2, TorrentLab.Extensions.MetadataMessage.PieceCount(torrent.RawInfo.Length));   // 16 KiB and a shorter one
        Assert.True(torrent.GetPieceLength(torrent.PieceCount - 1) < torrent.PieceLength);
    }

    [Fact]
    public async Task StartAsync_MetadataExtensionId_PeersServeTheMetadataOnThatId()
    {
        using var folder = new TempFolder();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = new Random(4), Folder = folder.Path, Behaviours = [SyntheticBehaviour.Normal], MetadataExtensionId = 77,
        }, Ct);
        var link = TorrentLab.Magnet.MagnetLink.Parse(swarm.Torrent.MagnetLink);

        var raw = await TorrentLab.Magnet.MetadataFetcher.FetchAsync(link, PeerId.CreateOurs(), [swarm.Peers[0].EndPoint], ct: Ct);

        Assert.Equal(swarm.Torrent.Torrent.RawInfo.ToArray(), raw);
        Assert.Equal([swarm.Tracker.HttpAnnounceUrl], link.Trackers);
        Assert.Contains(swarm.Log, l => l.Contains("sent extension handshake m={ut_metadata: 77}", StringComparison.Ordinal));
    }
}
