using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;

namespace TorrentLab.Tests.Network;

/// <summary>A segmented send must put on the wire exactly the datagrams one send each would have: same sizes, same
/// bytes, same order. Checked with a plain socket on the receiving end.</summary>
public class UdpSegmentBatchTests
{
    private static byte[] Datagram(int length, byte fill) => Enumerable.Range(0, length).Select(i => (byte)(fill + i)).ToArray();

    [Fact]
    public void Flush_GatheredDatagrams_ArriveAsTheSameDatagrams()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveTimeout = 10_000;
        var batch = UdpSegmentBatch.TryCreate(sender);
        if (batch is null) Assert.Skip("this kernel has no UDP_SEGMENT (Linux 4.18+): the socket sends one datagram per call");
        var to = receiver.LocalEndPoint!.Serialize();
        byte[][] sent = [Datagram(1400, 1), Datagram(1400, 2), Datagram(1400, 3), Datagram(700, 4)];

        foreach (var datagram in sent) Assert.True(batch.TryAdd(datagram, to));
        Assert.False(batch.TryAdd(Datagram(10, 5), to));   // after a shorter datagram, nothing may follow
        batch.Flush();
        Assert.True(batch.TryAdd(Datagram(20, 6), to));    // a new batch takes the new size
        Assert.False(batch.TryAdd(Datagram(21, 7), to));   // a longer datagram cannot join it
        batch.Flush();

        var buffer = new byte[65_536];
        foreach (var expected in sent.Append(Datagram(20, 6)))
        {
            var length = receiver.Receive(buffer);
            Assert.Equal(expected, buffer[..length]);
        }
        Assert.Equal(5, batch.Datagrams);
        Assert.Equal(2, batch.Sends);   // four datagrams in one system call, then one alone
    }
}
