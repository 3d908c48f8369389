using System.Net;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

/// <summary>The sorted range arrays: merging and the binary search, at the edges of the address space too.</summary>
public class IpRangesTests
{
    [Fact]
    public void Contains_EveryAddressOfManyRangesAddedOutOfOrder_AndNoneOfTheGaps()
    {
        var builder = new IpRanges.Builder();
        // Ranges 10 wide every 100 addresses, added backwards: 0-9, 100-109, ... 99,900-99,909.
        for (var i = 999; i >= 0; i--) builder.Add((uint)(i * 100), (uint)(i * 100 + 9));
        var ranges = builder.Build();

        Assert.Equal(1000, ranges.Count);
        for (uint address = 0; address < 100_000; address++)
            Assert.True(ranges.Contains(address) == address % 100 < 10, $"address {address}");
        Assert.False(ranges.Contains(uint.MaxValue));
    }

    [Fact]
    public void Build_RangesReachingTheEndsOfTheAddressSpace_MergeWithoutOverflow()
    {
        var builder = new IpRanges.Builder();
        builder.Add(uint.MaxValue - 5, uint.MaxValue);
        builder.Add(uint.MaxValue - 10, uint.MaxValue - 6);  // touches the one above
        builder.Add(0, 0);
        builder.Add(UInt128.MaxValue - 1, UInt128.MaxValue);
        builder.Add(UInt128.MaxValue, UInt128.MaxValue);
        var ranges = builder.Build();

        Assert.Equal(3, ranges.Count);
        Assert.True(ranges.Contains(IPAddress.Parse("255.255.255.255")));
        Assert.True(ranges.Contains(IPAddress.Parse("255.255.255.245")));
        Assert.False(ranges.Contains(IPAddress.Parse("255.255.255.244")));
        Assert.True(ranges.Contains(IPAddress.Parse("0.0.0.0")));
        Assert.True(ranges.Contains(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")));
    }

    [Fact]
    public void Contains_AnIPv4MappedIPv6Address_IsLookedUpAsItsIPv4Address()
    {
        var builder = new IpRanges.Builder();
        builder.Add(0x7f000005, 0x7f000005); // 127.0.0.5
        var ranges = builder.Build();

        Assert.True(ranges.Contains(IPAddress.Parse("::ffff:127.0.0.5")));
        Assert.False(ranges.Contains(IPAddress.Parse("::ffff:127.0.0.6")));
        Assert.False(ranges.Contains(IPAddress.Parse("::127.0.0.5"))); // IPv4-compatible is another address
    }

    [Fact]
    public void Contains_OnNoRanges_IsFalse()
    {
        Assert.False(IpRanges.Empty.Contains(IPAddress.Loopback));
        Assert.False(IpRanges.Empty.Contains(IPAddress.IPv6Loopback));
    }
}
