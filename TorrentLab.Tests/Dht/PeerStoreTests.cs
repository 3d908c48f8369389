using System.Net;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

public class PeerStoreTests
{
    private static readonly NodeId Hash = NodeId.FromHex("0123456789abcdef0123456789abcdef01234567");

    private static IPEndPoint Peer(int i) => new(IPAddress.Parse($"127.0.{i / 250}.{i % 250 + 1}"), 6881);

    [Fact]
    public void Add_ThenGet_ReturnsThePeer_AndReannouncingDoesNotDuplicate()
    {
        var store = new PeerStore(new ManualClock());
        store.Add(Hash, Peer(1));
        store.Add(Hash, Peer(1));

        Assert.Equal([Peer(1)], store.Get(Hash));
    }

    [Fact]
    public void Peers_ExpireAfterTheirLifetime()
    {
        var clock = new ManualClock();
        var store = new PeerStore(clock);
        store.Add(Hash, Peer(1));
        clock.Advance(PeerStore.Lifetime - TimeSpan.FromMinutes(1));
        store.Add(Hash, Peer(2));
        clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal([Peer(2)], store.Get(Hash));
        store.Expire();
        Assert.Equal(1, store.PeerCount);
    }

    [Fact]
    public void OnePerTorrent_IsBounded_TheOldestGoes()
    {
        var clock = new ManualClock();
        var store = new PeerStore(clock);
        for (var i = 0; i < PeerStore.MaxPeersPerTorrent + 10; i++)
        {
            store.Add(Hash, Peer(i));
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(PeerStore.MaxPeersPerTorrent, store.PeerCount);
        Assert.DoesNotContain(Peer(0), store.Get(Hash, int.MaxValue));
        Assert.Equal(PeerStore.MaxValuesPerAnswer, store.Get(Hash).Count);
    }

    [Fact]
    public void Torrents_AreBounded()
    {
        var store = new PeerStore(new ManualClock());
        for (var i = 0; i < PeerStore.MaxTorrents + 50; i++) store.Add(NodeId.Random(new Random(i)), Peer(1));

        Assert.Equal(PeerStore.MaxTorrents, store.TorrentCount);
    }
}
