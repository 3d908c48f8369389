using System.Net;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

public class ItemStoreTests
{
    private static readonly byte[] Seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static DhtItem Mutable(long seq, string value = "3:abc") => DhtItem.SignMutable(Seed, System.Text.Encoding.ASCII.GetBytes(value), seq);

    [Fact]
    public void Put_ThenGet_ReturnsTheItemUnderItsTarget()
    {
        var store = new ItemStore();
        var item = DhtItem.Immutable("4:spam"u8.ToArray());

        Assert.Equal(0, store.Put(item));

        Assert.Same(item, store.Get(item.Target));
        Assert.Null(store.Get(DhtItem.ImmutableTarget("4:eggs"u8)));
    }

    [Fact]
    public void Mutable_AHigherSequenceNumberReplaces_ALowerOneIsRefusedWith302()
    {
        var store = new ItemStore();
        Assert.Equal(0, store.Put(Mutable(2)));

        Assert.Equal(KrpcError.SequenceTooLow, store.Put(Mutable(1, "3:old")));
        Assert.Equal(2, store.Get(Mutable(2).Target)!.Sequence);

        Assert.Equal(0, store.Put(Mutable(3, "3:new")));
        Assert.Equal("3:new"u8.ToArray(), store.Get(Mutable(3).Target)!.Value);
    }

    [Fact]
    public void Mutable_TheSameSequenceNumberWithAnotherValue_KeepsTheFirst()
    {
        var store = new ItemStore();
        store.Put(Mutable(4, "5:first"));

        Assert.Equal(0, store.Put(Mutable(4, "6:second")));

        Assert.Equal("5:first"u8.ToArray(), store.Get(Mutable(4).Target)!.Value);
    }

    [Fact]
    public void Mutable_CasThatDoesNotMatchTheStoredSequence_IsRefusedWith301()
    {
        var store = new ItemStore();
        store.Put(Mutable(7));

        Assert.Equal(KrpcError.CasMismatch, store.Put(Mutable(8, "3:cas"), cas: 6));
        Assert.Equal(7, store.Get(Mutable(7).Target)!.Sequence);
        Assert.Equal(0, store.Put(Mutable(8, "3:cas"), cas: 7));
        Assert.Equal(8, store.Get(Mutable(7).Target)!.Sequence);
    }

    [Fact]
    public void Items_ExpireAfterTheirLifetime_UnlessPutAgain()
    {
        var clock = new ManualClock();
        var store = new ItemStore(clock);
        var kept = DhtItem.Immutable("4:kept"u8.ToArray());
        var lost = DhtItem.Immutable("4:lost"u8.ToArray());
        store.Put(kept);
        store.Put(lost);

        clock.Advance(ItemStore.Lifetime / 2);
        store.Put(kept);
        clock.Advance(ItemStore.Lifetime / 2);

        Assert.Null(store.Get(lost.Target));
        Assert.NotNull(store.Get(kept.Target));
        store.Expire();
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void AFullStore_EvictsTheItemPutLongestAgo()
    {
        var clock = new ManualClock();
        var store = new ItemStore(clock);
        var first = DhtItem.Immutable("i0e"u8.ToArray());
        store.Put(first);
        for (var i = 1; i <= ItemStore.MaxItems; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            store.Put(DhtItem.Immutable(System.Text.Encoding.ASCII.GetBytes($"i{i}e")));
        }

        Assert.Equal(ItemStore.MaxItems, store.Count);
        Assert.Null(store.Get(first.Target));
        Assert.NotNull(store.Get(DhtItem.ImmutableTarget("i1e"u8)));
    }

    [Fact]
    public void PutFloodFromOneAddress_EvictsNoHonestItem_AndStaysWithinItsQuota()
    {
        var clock = new ManualClock();
        var store = new ItemStore(clock);
        var honest = Enumerable.Range(0, 100).Select(i => DhtItem.Immutable(System.Text.Encoding.ASCII.GetBytes($"8:honest{i:D2}"))).ToList();
        for (var i = 0; i < honest.Count; i++) Assert.Equal(0, store.Put(honest[i], from: IPAddress.Parse($"198.51.{i}.1")));

        var attacker = IPAddress.Parse("203.0.113.9");
        for (var i = 0; i < 3 * ItemStore.MaxItems; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            store.Put(DhtItem.Immutable(System.Text.Encoding.ASCII.GetBytes($"i{i}e")), from: i % 2 == 0 ? attacker : IPAddress.Parse("203.0.113.77"));
        }
        // It also re-puts an honest item it read, which must stay charged to its first putter.
        store.Put(honest[0], from: attacker);
        for (var i = 0; i < ItemStore.MaxItemsPerSource; i++) store.Put(DhtItem.Immutable(System.Text.Encoding.ASCII.GetBytes($"i{10_000 + i}e")), from: attacker);

        Assert.All(honest, h => Assert.NotNull(store.Get(h.Target)));
        Assert.Equal(honest.Count + ItemStore.MaxItemsPerSource, store.Count); // 203.0.113.9 and .77 are one /24: one quota
        Assert.NotNull(store.Get(DhtItem.ImmutableTarget(System.Text.Encoding.ASCII.GetBytes($"i{10_000 + ItemStore.MaxItemsPerSource - 1}e"))));
    }

    [Fact]
    public void AFullStoreOfManySources_EvictsFromTheSourceHoldingTheMost()
    {
        var clock = new ManualClock();
        var store = new ItemStore(clock);
        var n = 0;
        DhtItem Next() => DhtItem.Immutable(System.Text.Encoding.ASCII.GetBytes($"i{n++}e"));
        var first = Next();
        store.Put(first, from: IPAddress.Parse("198.51.100.1"));   // the oldest item, of a small source
        for (var s = 0; store.Count < ItemStore.MaxItems; s++)
            for (var i = 0; i < ItemStore.MaxItemsPerSource && store.Count < ItemStore.MaxItems; i++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1));
                store.Put(Next(), from: IPAddress.Parse($"203.{s}.0.1"));
            }

        clock.Advance(TimeSpan.FromMilliseconds(1));
        store.Put(Next(), from: IPAddress.Parse("192.0.2.1"));

        Assert.Equal(ItemStore.MaxItems, store.Count);
        Assert.NotNull(store.Get(first.Target)); // the oldest, but its source holds one item
    }
}
