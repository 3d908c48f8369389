using System.Net;
using System.Net.Sockets;
using TorrentLab.Tracker;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker;

public class UdpTrackerMessagesTests
{
    private const string HashHex = "00412D7E263D252B2FFF80203F23617A30392E5F";

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    [Fact]
    public void ConnectRequest_IsProtocolIdActionZeroTransactionId() =>
        Assert.Equal("0000041727101980" + "00000000" + "CAFEBABE", Hex(UdpTrackerMessages.ConnectRequest(unchecked((int)0xCAFEBABE))));

    [Fact]
    public void AnnounceRequest_Is98BytesInBep15Order()
    {
        var request = new AnnounceRequest(BinaryHash, Peer('a'), 6881, Uploaded: 3, Downloaded: 1, Left: 2, AnnounceEvent.Started, 40) { Key = 0xBEEF };
        var packet = UdpTrackerMessages.AnnounceRequest(0x0102030405060708, 0x11223344, request);
        Assert.Equal(98, packet.Length);
        Assert.Equal(
            "0102030405060708" + "00000001" + "11223344" +       // connection id, action 1, transaction id
            HashHex +                    // info hash (raw bytes)
            "2D545A303130302D616161616161616161616161" +         // peer id "-TZ0100-aaaaaaaaaaaa"
            "0000000000000001" + "0000000000000002" + "0000000000000003" + // downloaded, left, uploaded
            "00000002" +                                         // event: BEP 15 started = 2
            "00000000" + "0000BEEF" + "00000028" + "1AE1",       // ip 0, key, num_want 40, port 6881
            Hex(packet));
    }

    [Theory]
    [InlineData(AnnounceEvent.None, 0)]
    [InlineData(AnnounceEvent.Completed, 1)]
    [InlineData(AnnounceEvent.Started, 2)]
    [InlineData(AnnounceEvent.Stopped, 3)]
    public void AnnounceRequest_EventNumbersFollowBep15AndRoundTrip(AnnounceEvent evt, int number)
    {
        var request = new AnnounceRequest(BinaryHash, Peer('b'), 1, 7, 8, 9, evt, NumWant: 0) { Key = 5 };
        var packet = UdpTrackerMessages.AnnounceRequest(42, 7, request);
        Assert.Equal(number, packet[83]);
        Assert.Equal("FFFFFFFF", Hex(packet[92..96])); // num_want 0 or less: -1, "default"
        var read = UdpTrackerMessages.ReadAnnounceRequest(packet);
        Assert.Equal(new UdpAnnounceRequest(42, 7, BinaryHash, Peer('b'), 8, 9, 7, evt, 0, 5, -1, 1), read);
    }

    [Fact]
    public void ScrapeRequest_IsHeaderThenHashes()
    {
        var packet = UdpTrackerMessages.ScrapeRequest(0x0102030405060708, 9, [BinaryHash]);
        Assert.Equal("0102030405060708" + "00000002" + "00000009" + HashHex, Hex(packet));
        Assert.Equal([BinaryHash], UdpTrackerMessages.ReadScrapeRequest(packet));
    }

    [Fact]
    public void ConnectResponse_IsActionTransactionConnectionId()
    {
        var packet = UdpTrackerMessages.ConnectResponse(9, 0x0102030405060708);
        Assert.Equal("00000000" + "00000009" + "0102030405060708", Hex(packet));
        Assert.Equal(0x0102030405060708, UdpTrackerMessages.ReadConnectResponse(packet));
    }

    [Fact]
    public void AnnounceResponse_IPv4_IsHeaderThen6BytePeers()
    {
        var packet = UdpTrackerMessages.AnnounceResponse(9, 1800, leechers: 2, seeders: 1,
            [new IPEndPoint(IPAddress.Loopback, 6881)], AddressFamily.InterNetwork);
        Assert.Equal("00000001" + "00000009" + "00000708" + "00000002" + "00000001" + "7F0000011AE1", Hex(packet));
        var read = UdpTrackerMessages.ReadAnnounceResponse(packet, AddressFamily.InterNetwork);
        Assert.Equal((TimeSpan.FromSeconds(1800), 1, 2, "127.0.0.1:6881"), (read.Interval, read.Complete, read.Incomplete, string.Join(',', read.Peers)));
    }

    [Fact]
    public void AnnounceResponse_IPv6_Uses18BytePeers()
    {
        var packet = UdpTrackerMessages.AnnounceResponse(9, 60, 0, 0, [new IPEndPoint(IPAddress.IPv6Loopback, 1)], AddressFamily.InterNetworkV6);
        Assert.Equal(20 + 18, packet.Length);
        Assert.Equal("[::1]:1", Assert.Single(UdpTrackerMessages.ReadAnnounceResponse(packet, AddressFamily.InterNetworkV6).Peers).ToString());
    }

    [Theory]
    [InlineData(23, AddressFamily.InterNetwork)]    // 3 stray bytes after the header
    [InlineData(26, AddressFamily.InterNetworkV6)]  // one IPv4-sized entry over IPv6
    [InlineData(12, AddressFamily.InterNetwork)]    // shorter than the 20-byte header
    public void ReadAnnounceResponse_BadLength_IsATrackerException(int length, AddressFamily family)
    {
        var packet = new byte[length];
        packet[3] = 1;
        Assert.Throws<TrackerException>(() => UdpTrackerMessages.ReadAnnounceResponse(packet, family));
    }

    [Fact]
    public void ScrapeResponse_IsSeedersCompletedLeechers()
    {
        var packet = UdpTrackerMessages.ScrapeResponse(9, [new ScrapeResult(Seeders: 5, Leechers: 10, Completed: 50)]);
        Assert.Equal("00000002" + "00000009" + "00000005" + "00000032" + "0000000A", Hex(packet));
        Assert.Equal(new ScrapeResult(5, 10, 50), Assert.Single(UdpTrackerMessages.ReadScrapeResponse(packet, 1)));
        Assert.Throws<TrackerException>(() => UdpTrackerMessages.ReadScrapeResponse(packet, 2));
    }

    [Fact]
    public void ErrorResponse_IsActionThreeThenText()
    {
        var packet = UdpTrackerMessages.ErrorResponse(9, "bad");
        Assert.Equal("00000003" + "00000009" + "626164", Hex(packet));
        Assert.Equal("bad", UdpTrackerMessages.ReadErrorMessage(packet));
    }

    [Theory]
    [InlineData(97)]                                 // one byte short of an announce
    public void ReadAnnounceRequest_Short_IsATrackerException(int length) =>
        Assert.Throws<TrackerException>(() => UdpTrackerMessages.ReadAnnounceRequest(new byte[length]));

    [Theory]
    [InlineData(16)]                                 // no hash at all
    [InlineData(16 + 19)]                            // a partial hash
    [InlineData(16 + 20 * 75)]                       // more than 74 hashes
    public void ReadScrapeRequest_BadHashList_IsATrackerException(int length) =>
        Assert.Throws<TrackerException>(() => UdpTrackerMessages.ReadScrapeRequest(new byte[length]));
}
