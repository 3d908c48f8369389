using System.Net.Sockets;
using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

public class PeerFailureTests
{
    [Theory]
    [InlineData("peer 127.0.0.1:1: the peer closed the connection")]
    [InlineData("peer 127.0.0.1:1: no message for 30 s (idle timeout)")]
    [InlineData("peer 127.0.0.1:1: cannot connect (ConnectionRefused)")]
    [InlineData("peer 127.0.0.1:1: no complete handshake within 10 s")]
    public void IsViolation_ConnectionEndings_AreNot(string message) =>
        Assert.False(PeerFailure.IsViolation(new WireException(message)));

    [Fact]
    public void IsViolation_SocketErrorInside_IsNot() =>
        Assert.False(PeerFailure.IsViolation(new WireException("peer x: anything", new SocketException((int)SocketError.ConnectionReset))));

    [Theory]
    [InlineData("peer 127.0.0.1:1: have for piece index 12, but the torrent has 12 pieces (0..11) (message at stream byte 5)")]
    [InlineData("peer 127.0.0.1:1: handshake answered with info hash 00, expected 11")]
    [InlineData("peer 127.0.0.1:1: message length 2147483647 exceeds the 1048576-byte limit")]
    public void IsViolation_ProtocolBreaches_Are(string message) =>
        Assert.True(PeerFailure.IsViolation(new WireException(message)));
}
