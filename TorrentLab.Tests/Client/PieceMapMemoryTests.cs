using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Client;

/// <summary>What a torrent's map keeps across its runs (<c>Client/PieceMapMemory.cs</c>): the senders of every run,
/// the newer run's over the earlier; the last run's moments; nothing after a recheck.</summary>
public class PieceMapMemoryTests
{
    private static PieceStates RunMap(int piece, string sender, params PieceMapMoment[] moments)
    {
        var table = new PieceSenderTable(2);
        table.Record(piece, sender, null, several: false);
        return PieceStates.From(Bitfield.Full(2)).WithSenders(table.Snapshot()).WithMoments(moments);
    }

    [Fact]
    public void TwoRuns_TheMapNamesTheSendersOfBoth_AndTheLastRunsMoments()
    {
        var memory = new PieceMapMemory();
        var moment = new PieceMapMoment(DateTimeOffset.UnixEpoch, PieceMapMomentKind.EndgameBegan, "127.0.0.1:7001", -1, 1);
        memory.Reported(RunMap(0, "127.0.0.1:7000", moment));
        memory.RunEnded();
        memory.Reported(RunMap(1, "127.0.0.1:7001"));

        var map = memory.On(PieceStates.AllVerified(2));

        Assert.Equal("127.0.0.1:7000", map.Senders![0]!.Address);
        Assert.Equal("127.0.0.1:7001", map.Senders[1]!.Address);
        Assert.Equal([moment], map.Moments); // a report without moments keeps the last ones
    }

    [Fact]
    public void Forget_AfterARecheck_TheMapNamesNoSender()
    {
        var memory = new PieceMapMemory();
        memory.Reported(RunMap(0, "127.0.0.1:7000"));
        memory.RunEnded();

        memory.Forget();

        Assert.Null(memory.On(PieceStates.AllVerified(2)).Senders);
        var bare = PieceStates.AllVerified(2);
        Assert.Same(bare, new PieceMapMemory().On(bare)); // nothing kept: the map itself
    }
}
