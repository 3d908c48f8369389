using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class WireExceptionTests
{
    [Theory]
    [InlineData("peer 127.0.0.1:6881: cannot connect (ConnectionRefused)", "cannot connect (ConnectionRefused)")]
    [InlineData("peer [::1]:6881: the peer closed the connection", "the peer closed the connection")]
    [InlineData("bitfield of 3 bytes, expected 2 for 9 pieces", "bitfield of 3 bytes, expected 2 for 9 pieces")]
    [InlineData("peer sent a have for piece 9: out of range", "peer sent a have for piece 9: out of range")] // not an address
    public void Reason_DropsTheLeadingPeerAddressOnly(string message, string reason) =>
        Assert.Equal(reason, new WireException(message).Reason);
}
