using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>The piece manager with a file selection: skipped pieces are never requested, priorities order the picks,
/// and "complete" means every wanted piece.</summary>
public class PieceManagerSelectionTests
{
    private static readonly TorrentLab.Metainfo.Torrent Torrent = PieceSelectionTests.Layout.Torrent; // 6 pieces of one block each
    private static readonly byte[] Payload = PieceSelectionTests.Layout.Payload;
    private static readonly PeerKey Peer = new("A");

    private static PieceManager Manager(IPiecePicker picker, params FilePriority[] files)
    {
        var manager = new PieceManager(Torrent, new Bitfield(Torrent.PieceCount), new PieceManagerOptions
        {
            Picker = picker,
            Selection = PieceSelection.For(Torrent, files),
        });
        manager.AddPeer(Peer, Bitfield.Full(Torrent.PieceCount));
        return manager;
    }

    private static BlockRequest[] Fill(PieceManager manager)
    {
        var requests = new BlockRequest[64];
        return requests[..manager.FillRequests(Peer, requests)];
    }

    [Fact]
    public void FillRequests_OnlyTheMiddleFileSelected_AsksForExactlyItsThreePieces()
    {
        var manager = Manager(new SequentialPicker(), FilePriority.Skip, FilePriority.Normal, FilePriority.Skip);

        var asked = Fill(manager);

        Assert.Equal([(1, 0, 16384), (2, 0, 16384), (3, 0, 16384)], asked.Select(r => (r.Index, r.Begin, r.Length)));
    }

    [Fact]
    public void OnBlockReceived_EveryWantedPiece_CompletesWithNothingRemaining()
    {
        var manager = Manager(new RarestFirstPicker(random: new Random(5)), FilePriority.Skip, FilePriority.Normal, FilePriority.Skip);
        Assert.Equal(3 * 16384L, manager.RemainingBytes);

        foreach (var r in Fill(manager))
            manager.OnBlockReceived(Peer, r.Index, r.Begin, Payload.AsSpan(r.Index * 16384 + r.Begin, r.Length)).Piece?.Dispose();

        Assert.True(manager.IsComplete);
        Assert.Equal(0, manager.RemainingBytes);
        Assert.Equal(3, manager.HaveCount);
        Assert.False(manager.IsInteresting(Peer)); // it has only skipped pieces left
        Assert.Empty(Fill(manager));
    }

    [Fact]
    public void FillRequests_Priorities_StartsEveryHighPieceBeforeAnyLowOneAndNeverASkippedOne()
    {
        for (var seed = 0; seed < 20; seed++) // rarest first breaks ties at random: every order must respect the levels
        {
            var manager = Manager(new RarestFirstPicker(randomFirstPieces: 0, random: new Random(seed)), FilePriority.Low, FilePriority.Skip, FilePriority.High);

            var order = Fill(manager).Select(r => r.Index).ToArray();

            Assert.Equal([3, 4, 5], order[..3].Order());
            Assert.Equal([0, 1], order[3..].Order());
        }
    }

    [Fact]
    public void IsInteresting_PeerWithOnlySkippedPieces_IsFalse()
    {
        var manager = new PieceManager(Torrent, new Bitfield(Torrent.PieceCount), new PieceManagerOptions
        {
            Selection = PieceSelection.For(Torrent, [FilePriority.Normal, FilePriority.Skip, FilePriority.Skip]),
        });
        var has = new Bitfield(Torrent.PieceCount);
        has.Set(2);
        has.Set(4);
        manager.AddPeer(Peer, has);
        Assert.False(manager.IsInteresting(Peer));

        manager.PeerHas(Peer, 1); // shared by a.bin (wanted) and b.bin

        Assert.True(manager.IsInteresting(Peer));
    }

    [Fact]
    public void IsEndgame_EveryWantedBlockRequested_IsTrueThoughSkippedPiecesRemain()
    {
        var manager = Manager(new SequentialPicker(), FilePriority.Skip, FilePriority.Normal, FilePriority.Skip);

        Fill(manager);

        Assert.True(manager.IsEndgame);
    }

    [Fact]
    public void Constructor_WantedPiecesAlreadyHad_IsCompleteAtOnce()
    {
        var have = new Bitfield(Torrent.PieceCount);
        foreach (var i in new[] { 3, 4, 5 }) have.Set(i);

        var manager = new PieceManager(Torrent, have, new PieceManagerOptions
        {
            Selection = PieceSelection.For(Torrent, [FilePriority.Skip, FilePriority.Skip, FilePriority.High]),
        });

        Assert.True(manager.IsComplete);
    }

    [Fact]
    public void Constructor_SelectionOfAnotherTorrent_Throws()
    {
        var other = Infrastructure.TestTorrents.SingleFile().Torrent;

        Assert.Throws<ArgumentException>(() => new PieceManager(Torrent, new Bitfield(Torrent.PieceCount),
            new PieceManagerOptions { Selection = PieceSelection.All(other) }));
    }

    [Fact]
    public void SetSelection_WhilePeersAreConnected_MakesAPeerWithOnlyNewlyWantedPiecesInterestingAndAsksForThem()
    {
        var manager = new PieceManager(Torrent, new Bitfield(Torrent.PieceCount), new PieceManagerOptions
        {
            Picker = new SequentialPicker(),
            Selection = PieceSelection.For(Torrent, [FilePriority.Normal, FilePriority.Skip, FilePriority.Skip]),
        });
        var has = new Bitfield(Torrent.PieceCount);
        foreach (var i in new[] { 3, 4, 5 }) has.Set(i); // only c.bin's pieces
        manager.AddPeer(Peer, has);
        Assert.False(manager.IsInteresting(Peer));

        manager.SetSelection(PieceSelection.For(Torrent, [FilePriority.Skip, FilePriority.Skip, FilePriority.Normal]));

        Assert.True(manager.IsInteresting(Peer));
        Assert.Equal([3, 4, 5], Fill(manager).Select(r => r.Index));
        Assert.Equal(3 * 16384L - (6 * 16384L - 90000), manager.RemainingBytes); // c.bin's pieces, the last one short
    }

    [Fact]
    public void SetSelection_EveryNewlyWantedPieceAlreadyHad_IsCompleteAtOnce()
    {
        var have = new Bitfield(Torrent.PieceCount);
        foreach (var i in new[] { 3, 4, 5 }) have.Set(i);
        var manager = new PieceManager(Torrent, have, new PieceManagerOptions
        {
            Selection = PieceSelection.For(Torrent, [FilePriority.Normal, FilePriority.Skip, FilePriority.Skip]),
        });
        Assert.False(manager.IsComplete);

        manager.SetSelection(PieceSelection.For(Torrent, [FilePriority.Skip, FilePriority.Skip, FilePriority.High]));

        Assert.True(manager.IsComplete);
        Assert.Throws<ArgumentException>(() => manager.SetSelection(PieceSelection.All(Infrastructure.TestTorrents.SingleFile().Torrent)));
    }
}
