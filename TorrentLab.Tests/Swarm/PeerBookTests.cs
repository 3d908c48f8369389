using System.Net;
using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

public class PeerBookTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static IPEndPoint At(int port) => new(IPAddress.Loopback, port);

    [Fact]
    public void TakeNext_GivesEachAddressOnceUntilReleased()
    {
        var book = new PeerBook();
        book.Add([At(1), At(2), At(1)]);

        Assert.Equal(At(1), book.TakeNext(Now));
        Assert.Equal(At(2), book.TakeNext(Now));
        Assert.Null(book.TakeNext(Now));
    }

    [Fact]
    public void Release_AfterAFailure_WaitsForTheBackoffAndGivesUpAfterMaxFailures()
    {
        var book = new PeerBook();
        book.Add([At(1)]);
        var time = Now;
        for (var i = 0; i < PeerBook.MaxFailures; i++)
        {
            Assert.Equal(At(1), book.TakeNext(time));
            book.Release(At(1), failed: true, time);
            Assert.Null(book.TakeNext(time));          // backing off
            time += TimeSpan.FromMinutes(5);
        }

        Assert.Null(book.TakeNext(time));              // given up
        Assert.False(book.HasCandidates);
    }

    [Fact]
    public void Ban_RemovesTheAddressAndRefusesItAndItsIdLater()
    {
        var book = new PeerBook();
        var id = PeerId.CreateOurs();
        book.Add([At(1)]);

        book.Ban(At(1), id);
        book.Add([At(1)]);

        Assert.Null(book.TakeNext(Now));
        Assert.True(book.IsBanned(At(1)));
        Assert.True(book.IsBanned(id));
    }

    [Fact]
    public void AddSelf_OurOwnAddressIsNeverDialled()
    {
        var book = new PeerBook();
        book.AddSelf(At(6881));

        book.Add([At(6881), At(2)]);

        Assert.Equal(At(2), book.TakeNext(Now));
        Assert.Null(book.TakeNext(Now));
    }
}
