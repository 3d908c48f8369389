using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>What open streams want (<c>Pieces/ReadDemand.cs</c>): their windows are started before any other piece,
/// and a wait for a piece ends when it is written, not before.</summary>
public class ReadDemandTests
{
    private const int Block = WireLimits.BlockLength;

    // 8 pieces of one block each.
    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(length: 8 * Block, pieceLength: Block);
    private static readonly PeerKey Peer = new("A");

    private static PieceManager Manager(ReadDemand demand, IPiecePicker picker, PieceSelection? selection = null, Bitfield? have = null)
    {
        var manager = new PieceManager(Built.Torrent, have ?? new Bitfield(Built.Torrent.PieceCount),
            new PieceManagerOptions { Picker = picker, Demand = demand, Selection = selection });
        manager.AddPeer(Peer, Bitfield.Full(Built.Torrent.PieceCount));
        return manager;
    }

    private static int[] PiecesAsked(PieceManager manager, int max)
    {
        var requests = new BlockRequest[max];
        return [.. requests[..manager.FillRequests(Peer, requests)].Select(r => r.Index)];
    }

    [Fact]
    public void FillRequests_AStreamsWindow_IsStartedBeforeThePickersOrder()
    {
        var demand = new ReadDemand();
        demand.SetWindow("reader", new PieceRange(5, 6));

        Assert.Equal([5, 6, 0, 1], PiecesAsked(Manager(demand, new SequentialPicker()), 4));
    }

    [Fact]
    public void FillRequests_TwoStreams_TheFirstOpenedIsServedFirst()
    {
        var demand = new ReadDemand();
        demand.SetWindow("first", new PieceRange(6, 7));
        demand.SetWindow("second", new PieceRange(2, 3));
        demand.SetWindow("first", new PieceRange(4, 4)); // moving its window keeps its place

        Assert.Equal([4, 2, 3, 0], PiecesAsked(Manager(demand, new SequentialPicker()), 4));
    }

    [Fact]
    public void FillRequests_WindowCleared_GoesBackToThePickersOrder()
    {
        var demand = new ReadDemand();
        demand.SetWindow("reader", new PieceRange(5, 6));
        demand.ClearWindow("reader");

        Assert.Empty(demand.Windows);
        Assert.Equal([0, 1], PiecesAsked(Manager(demand, new SequentialPicker()), 2));
    }

    [Fact]
    public void FillRequests_WindowOverPiecesWeHave_AsksForTheMissingOnesOnly()
    {
        var demand = new ReadDemand();
        demand.SetWindow("reader", new PieceRange(3, 5));
        var have = new Bitfield(Built.Torrent.PieceCount);
        have.Set(3);
        have.Set(4);

        Assert.Equal([5, 0], PiecesAsked(Manager(demand, new SequentialPicker(), have: have), 2));
    }

    [Fact]
    public async Task WhenOnDiskAsync_PieceNotWritten_CompletesWhenTheSwarmWritesIt()
    {
        var demand = new ReadDemand();
        var wait = demand.WhenOnDiskAsync(3, _ => false, TestContext.Current.CancellationToken);
        demand.Written(2);
        Assert.False(wait.IsCompleted); // another piece wakes nobody waiting for this one

        demand.Written(3);

        await wait.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken); // its continuation runs on a thread of its own
    }

    [Fact]
    public void WhenOnDiskAsync_PieceKnownOrWrittenByTheRunningSwarm_CompletesAtOnce()
    {
        var demand = new ReadDemand();
        Assert.True(demand.WhenOnDiskAsync(1, i => i == 1, CancellationToken.None).IsCompletedSuccessfully);
        demand.Attach(i => i == 2);
        Assert.True(demand.WhenOnDiskAsync(2, _ => false, CancellationToken.None).IsCompletedSuccessfully);
        Assert.False(demand.WhenOnDiskAsync(4, _ => false, TestContext.Current.CancellationToken).IsCompleted);
    }

    [Fact]
    public async Task WhenOnDiskAsync_Cancelled_ThrowsAndAnotherReaderStillWaits()
    {
        var demand = new ReadDemand();
        using var cts = new CancellationTokenSource();
        var cancelled = demand.WhenOnDiskAsync(3, _ => false, cts.Token);
        var other = demand.WhenOnDiskAsync(3, _ => false, TestContext.Current.CancellationToken);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(other.IsCompleted);
        demand.Written(3);
        await other;
    }

    [Fact]
    public void Written_TellsTheListenersInTheOrderPiecesAreWritten()
    {
        var demand = new ReadDemand();
        var heard = new List<int>();
        demand.PieceWritten += heard.Add;

        demand.Written(7);
        demand.Written(2);

        Assert.Equal([7, 2], heard);
    }
}
