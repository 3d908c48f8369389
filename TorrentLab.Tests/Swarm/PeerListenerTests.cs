using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Swarm;

public class PeerListenerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);

    [Fact]
    public async Task Start_Both_ListensOnTcpAndUdpAtOnePortNumber_AndHandsBothKindsOfConnectionOn()
    {
        await using var listener = PeerListener.Start(IPAddress.Loopback, 0, fallback: false, PeerTransport.Both);
        Assert.NotNull(listener.Utp);
        Assert.Equal(listener.EndPoint.Port, listener.Utp.LocalEndPoint.Port);
        var accepted = Channel.CreateUnbounded<(Stream Stream, IPEndPoint Remote)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = listener.RunAsync((stream, remote) => accepted.Writer.TryWrite((stream, remote)), stop.Token);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(listener.EndPoint, Ct);
        var first = await accepted.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.IsType<NetworkStream>(first.Stream);
        Assert.Equal(((IPEndPoint)tcp.Client.LocalEndPoint!).Port, first.Remote.Port);

        await using var dialler = UtpSocket.Bind(Loopback(0));
        await using var utp = await dialler.ConnectAsync(listener.EndPoint, Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        var second = await accepted.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.IsType<UtpStream>(second.Stream);
        Assert.Equal(dialler.LocalEndPoint, second.Remote);

        await first.Stream.DisposeAsync();
        await second.Stream.DisposeAsync();
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(20), Ct);
    }

    [Fact]
    public async Task Start_WhenOnlyTheUdpPortIsTaken_FallsBackToANumberFreeForBoth()
    {
        var port = ProcessRunner.FreeTcpAndUdpPort();
        using var squatter = new UdpClient(Loopback(port));

        Assert.Throws<SwarmException>(() => PeerListener.Start(IPAddress.Loopback, port, fallback: false, PeerTransport.Both));
        await using var listener = PeerListener.Start(IPAddress.Loopback, port, fallback: true, PeerTransport.Both);

        Assert.NotEqual(port, listener.EndPoint.Port);
        Assert.Equal(listener.EndPoint.Port, listener.Utp!.LocalEndPoint.Port);
    }

    [Fact]
    public async Task Start_TcpOnly_KeepsTheUdpPortForOtherDatagramsButRefusesUtp()
    {
        await using var listener = PeerListener.Start(IPAddress.Loopback, 0, fallback: false, PeerTransport.Tcp);
        Assert.NotNull(listener.Utp);
        var other = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Utp.OtherDatagrams = (datagram, _) => other.TrySetResult(datagram.ToArray());

        using var udp = new UdpClient(Loopback(0));
        byte[] krpc = "d1:y1:qe"u8.ToArray();
        await udp.SendAsync(krpc, Loopback(listener.EndPoint.Port), Ct);
        Assert.Equal(krpc, await other.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct));

        await using var dialler = UtpSocket.Bind(Loopback(0));
        await Assert.ThrowsAsync<UtpException>(() => dialler.ConnectAsync(listener.EndPoint, Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct));
    }

    [Fact]
    public async Task Start_UtpOnly_HasNoTcpListener()
    {
        await using var listener = PeerListener.Start(IPAddress.Loopback, ProcessRunner.FreeTcpAndUdpPort(), fallback: false, PeerTransport.Utp);
        using var tcp = new TcpClient();

        var refused = await Assert.ThrowsAsync<SocketException>(() => tcp.ConnectAsync(listener.EndPoint, Ct).AsTask());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static async Task<IPEndPoint> ConnectAndAcceptAsync(PeerListener listener, IPAddress to)
    {
        var accepted = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = listener.RunAsync((stream, remote) => { accepted.TrySetResult(remote); stream.Dispose(); }, stop.Token);
        using var client = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(to, listener.EndPoint.Port), Ct);
        var remote = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        return remote;
    }

    [Fact]
    public async Task Start_Unspecified6_IsDualStack_AcceptingIPv4AndIPv6OnOnePort()
    {
        Interop.RequireIPv6Loopback();
        await using var listener = PeerListener.Start([IPAddress.IPv6Any], 0, fallback: false, PeerTransport.Both);

        var v4 = await ConnectAndAcceptAsync(listener, IPAddress.Loopback);
        var v6 = await ConnectAndAcceptAsync(listener, IPAddress.IPv6Loopback);

        Assert.Equal(IPAddress.Loopback, v4.Address); // named as the IPv4 peer it is
        Assert.Equal(IPAddress.IPv6Loopback, v6.Address);
    }

    [Fact]
    public async Task Start_SeveralAddresses_ListensOnEachOnTheSamePort()
    {
        Interop.RequireIPv6Loopback();
        await using var listener = PeerListener.Start([IPAddress.IPv6Loopback, IPAddress.Loopback], 0, fallback: false, PeerTransport.Both);

        Assert.Equal(2, listener.EndPoints.Count);
        Assert.Equal(listener.EndPoints[0].Port, listener.EndPoints[1].Port);
        Assert.Equal(IPAddress.Loopback, (await ConnectAndAcceptAsync(listener, IPAddress.Loopback)).Address);
        Assert.Equal(IPAddress.IPv6Loopback, (await ConnectAndAcceptAsync(listener, IPAddress.IPv6Loopback)).Address);
    }

    [Fact]
    public async Task Start_SecondAddressPortTaken_ThrowsSwarmExceptionAndReleasesTheFirst()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var error = Assert.Throws<SwarmException>(() => PeerListener.Start([IPAddress.Parse("127.0.0.2"), IPAddress.Loopback], port, fallback: false, PeerTransport.Both));

        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        await using var again = PeerListener.Start([IPAddress.Parse("127.0.0.2")], port, fallback: false, PeerTransport.Both); // the first bind was released
    }
}
