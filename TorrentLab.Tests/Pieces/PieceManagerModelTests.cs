using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>The piece manager's counts kept as things change, held against the same counts found by a walk over every
/// piece after each step of a random life: peers come, announce, lose and leave, requests go out, come back whole or
/// corrupt, are released and expire, and the selection changes.</summary>
public class PieceManagerModelTests
{
    private const int PieceLength = 2 * WireLimits.BlockLength;

    // 40 pieces of two blocks and a short last one, in three files (so a selection can skip one).
    private static readonly TestTorrents.Built Built = TestTorrents.MultiFile(
        [("a.bin", 13 * PieceLength + 100), ("b.bin", 14 * PieceLength), ("c.bin", 12 * PieceLength + 5_000)], pieceLength: PieceLength);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void StartableCount_AndEndgame_AgreeWithAWalkOverEveryPiece_ThroughARandomLife(int seed)
    {
        var torrent = Built.Torrent;
        var random = new Random(seed);
        var clock = new ManualClock();
        var manager = new PieceManager(torrent, Random(torrent.PieceCount, random, 0.2),
            new PieceManagerOptions { Picker = new RarestFirstPicker(random: new Random(seed)), Clock = clock, MaxRequestsPerPeer = 6 });
        var peers = new List<PeerKey>();
        var outstanding = new Dictionary<PeerKey, List<BlockRequest>>();
        var next = 0;
        var endgameSeen = false;
        for (var step = 0; step < 3_000; step++)
        {
            var peer = peers.Count > 0 ? peers[random.Next(peers.Count)] : null;
            switch (random.Next(10))
            {
                case 0 when peers.Count < 8:
                    var added = new PeerKey($"p{next++}");
                    manager.AddPeer(added, Random(torrent.PieceCount, random, random.NextDouble()));
                    peers.Add(added);
                    outstanding[added] = [];
                    break;
                case 1 when peer is not null:
                    manager.PeerHas(peer, random.Next(torrent.PieceCount));
                    break;
                case 2 when peer is not null:
                    var lost = random.Next(torrent.PieceCount);
                    foreach (var r in manager.PeerLost(peer, lost).Released) outstanding[peer].Remove(r);
                    break;
                case 3 when peer is not null && random.Next(3) == 0:
                    manager.RemovePeer(peer);
                    peers.Remove(peer);
                    outstanding.Remove(peer);
                    break;
                case 4 or 5 when peer is not null:
                    var into = new BlockRequest[6];
                    outstanding[peer].AddRange(into[..manager.FillRequests(peer, into)]);
                    break;
                case 6 or 7 when peer is not null && outstanding[peer].Count > 0:
                    var answered = outstanding[peer][random.Next(outstanding[peer].Count)];
                    outstanding[peer].Remove(answered);
                    var data = Built.Payload.AsSpan((int)((long)answered.Index * PieceLength + answered.Begin), answered.Length).ToArray();
                    if (random.Next(12) == 0) data[0] ^= 0xFF; // a corrupt block: its piece fails and is fetched again
                    manager.OnBlockReceived(peer, answered.Index, answered.Begin, data);
                    break;
                case 8 when peer is not null && random.Next(3) == 0:
                    manager.ReleaseBlocks(peer);
                    outstanding[peer].Clear();
                    break;
                case 8:
                    clock.Advance(TimeSpan.FromSeconds(20));
                    foreach (var expired in manager.ExpireRequests(clock.GetUtcNow()))
                        outstanding[(PeerKey)expired.Peer].Remove(expired.Request);
                    break;
                case 9 when random.Next(20) == 0:
                    var priorities = Enumerable.Range(0, 3).Select(_ => (FilePriority)random.Next(4)).ToArray();
                    manager.SetSelection(PieceSelection.For(torrent, priorities));
                    break;
            }
            var (startable, endgame) = Walk(manager, torrent.PieceCount);
            Assert.Equal(startable, manager.StartableCount);
            Assert.Equal(endgame, manager.IsEndgame);
            endgameSeen |= endgame;
        }
        Assert.True(endgameSeen, "the life never reached endgame: the model test does not test it");
    }

    private static Bitfield Random(int pieces, Random random, double share)
    {
        var bitfield = new Bitfield(pieces);
        for (var i = 0; i < pieces; i++) if (random.NextDouble() < share) bitfield.Set(i);
        return bitfield;
    }

    /// <summary>The pieces that could be started (wanted, lacking, held by a peer, not in progress), found the long
    /// way; and endgame as defined from it: something wanted is missing, pieces are in progress, none can be started, and
    /// no block of those in progress is unrequested (that last the manager's own count, which this test does not check).</summary>
    private static (int Startable, bool Endgame) Walk(PieceManager manager, int pieces)
    {
        var inProgress = manager.SnapshotInProgress().ToHashSet();
        var selection = manager.Selection;
        var startable = 0;
        for (var i = 0; i < pieces; i++)
            if (!manager.HasPiece(i) && !inProgress.Contains(i) && manager.Availability(i) > 0 && selection.IsWanted(i)) startable++;
        var endgame = manager.WantedMissing > 0 && inProgress.Count > 0 && startable == 0 && manager.UnrequestedBlocks == 0;
        return (startable, endgame);
    }
}
