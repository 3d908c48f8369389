using System.Net;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

public class PeerAddressPolicyTests
{
    [Theory]
    [InlineData("0.0.0.0:6881")]          // unspecified
    [InlineData("0.1.2.3:6881")]          // 0/8 "this network"
    [InlineData("255.255.255.255:6881")]  // broadcast
    [InlineData("224.0.0.1:6881")]        // multicast
    [InlineData("239.255.255.250:1900")]  // multicast (SSDP)
    [InlineData("240.0.0.1:6881")]        // reserved
    [InlineData("169.254.169.254:80")]    // link-local (cloud metadata services live here)
    [InlineData("[::]:6881")]             // unspecified
    [InlineData("[ff02::1]:6881")]        // multicast
    [InlineData("[fe80::1]:6881")]        // link-local
    [InlineData("[::ffff:0.0.0.0]:6881")] // unspecified, IPv4-mapped
    [InlineData("[64:ff9b::a9fe:a9fe]:80")] // NAT64 of 169.254.169.254: a NAT64 gateway turns it back into the metadata address
    [InlineData("[64:ff9b::e000:1]:6881")] // NAT64 of 224.0.0.1, multicast
    [InlineData("127.0.0.1:0")]           // port 0
    public void MayDial_AddressThatCanNeverBeAPeer_IsRefusedWhateverTheScope(string endpoint)
    {
        foreach (var scope in Enum.GetValues<PeerScope>())
            Assert.False(PeerAddressPolicy.MayDial(IPEndPoint.Parse(endpoint), scope), $"{endpoint} under {scope}");
    }

    [Theory]
    [InlineData("127.0.0.1:6881", true, true, true)]
    [InlineData("[::1]:6881", true, true, true)]
    [InlineData("10.1.2.3:6881", true, true, false)]
    [InlineData("172.16.0.9:6881", true, true, false)]
    [InlineData("172.32.0.9:6881", true, false, false)]   // just outside 172.16/12
    [InlineData("192.168.1.2:6881", true, true, false)]
    [InlineData("100.64.0.1:6881", true, true, false)]    // carrier-grade NAT
    [InlineData("[fd00::1]:6881", true, true, false)]     // unique local
    [InlineData("8.8.8.8:6881", true, false, false)]
    [InlineData("[2001:db8::1]:6881", true, false, false)]
    [InlineData("[64:ff9b::808:808]:6881", true, false, false)] // NAT64 of 8.8.8.8: judged as that
    [InlineData("[64:ff9b::a00:1]:6881", true, true, false)]    // NAT64 of 10.0.0.1
    public void MayDial_UnicastAddress_FollowsTheScope(string endpoint, bool any, bool privateOnly, bool loopbackOnly)
    {
        var address = IPEndPoint.Parse(endpoint);
        Assert.Equal((any, privateOnly, loopbackOnly),
            (PeerAddressPolicy.MayDial(address), PeerAddressPolicy.MayDial(address, PeerScope.Private), PeerAddressPolicy.MayDial(address, PeerScope.Loopback)));
    }
}
