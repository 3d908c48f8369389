using System.Net;
using System.Net.Sockets;
using TorrentLab.Swarm;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Swarm;

public class UdpEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Receive_KrpcDatagramGoesToTheDht_UtpStaysWithUtp_AnythingElseIsCountedAsOther()
    {
        await using var socket = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var endpoint = UdpEndpoint.Over(socket);
        var krpc = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        endpoint.Krpc = (datagram, _) => krpc.TrySetResult(datagram.ToArray());
        using var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await sender.SendAsync(Convert.FromHexString("41000000000000000000000000000000000000000001"), endpoint.LocalEndPoint, Ct); // a uTP ST_SYN: uTP's
        await sender.SendAsync("hello"u8.ToArray(), endpoint.LocalEndPoint, Ct);                     // neither uTP (version 8) nor KRPC
        await sender.SendAsync("d1:y1:qe"u8.ToArray(), endpoint.LocalEndPoint, Ct);                  // 'd': a bencoded dictionary
        var received = await krpc.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("d1:y1:qe"u8.ToArray(), received);
        Assert.Equal(1, endpoint.OtherDatagrams); // UDP on loopback keeps order: the first datagram was handled before
    }

    [Fact]
    public async Task SendAsync_ReachesTheAddressedSocket_FromTheSharedPort()
    {
        await using var socket = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var endpoint = UdpEndpoint.Over(socket);
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await endpoint.SendAsync("d1:y1:re"u8.ToArray(), (IPEndPoint)receiver.Client.LocalEndPoint!, Ct);
        var got = await receiver.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("d1:y1:re"u8.ToArray(), got.Buffer);
        Assert.Equal(endpoint.LocalEndPoint.Port, got.RemoteEndPoint.Port);
    }
}
