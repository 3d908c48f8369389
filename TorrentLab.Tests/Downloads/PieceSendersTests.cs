using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Downloads;

/// <summary>Who sent each verified piece (<c>PieceSenders.cs</c>, recorded by <c>Swarm/PieceSenderTable.cs</c>): a row
/// per peer, two bytes per piece, carried by the piece map.</summary>
public class PieceSendersTests
{
    [Fact]
    public void Table_RecordsEachPeerOnce_AndEachPieceItsRowAndWhetherSeveralSent()
    {
        var table = new PieceSenderTable(5);
        table.Record(3, "127.0.0.1:7000", "Transmission 4.0.5", several: false);
        table.Record(0, "127.0.0.1:7001", "qBittorrent 4.6.0", several: true);
        table.Record(1, "127.0.0.1:7000", "Transmission 4.0.5", several: false);

        var senders = table.Snapshot()!;

        Assert.Equal([new PieceSender("127.0.0.1:7000", "Transmission 4.0.5"), new PieceSender("127.0.0.1:7001", "qBittorrent 4.6.0")], senders.Peers);
        Assert.Equal([1, 0, -1, 0, -1], Enumerable.Range(0, 5).Select(senders.PeerOf));
        Assert.Equal([true, false, false, false, false], Enumerable.Range(0, 5).Select(senders.FromSeveral));
        Assert.Equal("127.0.0.1:7000", senders[3]!.Address);
        Assert.Null(senders[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => senders.PeerOf(5));
    }

    [Fact]
    public void Table_BeforeAnyPiece_HasNoSnapshot_AndASnapshotIsKeptUntilTheNextPiece()
    {
        var table = new PieceSenderTable(2);
        Assert.Null(table.Snapshot());

        table.Record(0, "127.0.0.1:7000", null, several: false);
        var first = table.Snapshot();

        Assert.Same(first, table.Snapshot());
        table.Record(1, "127.0.0.1:7000", null, several: false);
        Assert.NotSame(first, table.Snapshot());
        Assert.Equal(-1, first!.PeerOf(1)); // a snapshot does not change afterwards
    }

    [Fact]
    public void Over_AnEarlierRun_KeepsItsSendersForPiecesThisRunDidNotSee()
    {
        var earlier = new PieceSenderTable(3);
        earlier.Record(0, "127.0.0.1:7000", "A", several: true);
        earlier.Record(1, "127.0.0.1:7001", "B", several: false);
        var now = new PieceSenderTable(3);
        now.Record(1, "127.0.0.1:7002", "C", several: false);
        now.Record(2, "127.0.0.1:7000", "A", several: false);

        var both = now.Snapshot()!.Over(earlier.Snapshot());

        Assert.Equal(["127.0.0.1:7002", "127.0.0.1:7000"], both.Peers.Select(p => p.Address)); // B sent nothing that remains
        Assert.Equal([1, 0, 1], Enumerable.Range(0, 3).Select(both.PeerOf));
        Assert.True(both.FromSeveral(0));
        Assert.False(both.FromSeveral(2));
    }

    [Fact]
    public void PieceStates_WithSenders_KeepsThemThroughWithAvailability_AndRefusesAnotherTorrentsCount()
    {
        var table = new PieceSenderTable(2);
        table.Record(1, "127.0.0.1:7000", null, several: false);
        var have = new Bitfield(2);
        have.Set(1);

        var map = PieceStates.From(have).WithSenders(table.Snapshot()).WithAvailability([1, 2]);

        Assert.Equal(0, map.Senders!.PeerOf(1));
        Assert.Equal(2, map.Availability(1));
        Assert.Null(PieceStates.From(have).Senders);
        Assert.Throws<ArgumentException>(() => PieceStates.AllVerified(3).WithSenders(table.Snapshot()));
    }
}
