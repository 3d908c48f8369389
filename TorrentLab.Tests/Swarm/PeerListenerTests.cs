using System.Net;
using System.Net.Sockets;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

public class PeerListenerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<IPEndPoint> ConnectAndAcceptAsync(PeerListener listener, IPAddress to)
    {
        var accepted = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = listener.RunAsync(s => { accepted.TrySetResult((IPEndPoint)s.RemoteEndPoint!); s.Dispose(); }, stop.Token);
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
        using var listener = PeerListener.Start([IPAddress.IPv6Any], 0, fallback: false);

        var v4 = await ConnectAndAcceptAsync(listener, IPAddress.Loopback);
        var v6 = await ConnectAndAcceptAsync(listener, IPAddress.IPv6Loopback);

        Assert.Equal(IPAddress.Loopback, v4.Address.MapToIPv4());
        Assert.Equal(IPAddress.IPv6Loopback, v6.Address);
    }

    [Fact]
    public async Task Start_SeveralAddresses_ListensOnEachOnTheSamePort()
    {
        Interop.RequireIPv6Loopback();
        using var listener = PeerListener.Start([IPAddress.IPv6Loopback, IPAddress.Loopback], 0, fallback: false);

        Assert.Equal(2, listener.EndPoints.Count);
        Assert.Equal(listener.EndPoints[0].Port, listener.EndPoints[1].Port);
        Assert.Equal(IPAddress.Loopback, (await ConnectAndAcceptAsync(listener, IPAddress.Loopback)).Address);
        Assert.Equal(IPAddress.IPv6Loopback, (await ConnectAndAcceptAsync(listener, IPAddress.IPv6Loopback)).Address);
    }

    [Fact]
    public void Start_SecondAddressPortTaken_ThrowsSwarmExceptionAndReleasesTheFirst()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var error = Assert.Throws<SwarmException>(() => PeerListener.Start([IPAddress.Parse("127.0.0.2"), IPAddress.Loopback], port, fallback: false));

        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        using var again = PeerListener.Start([IPAddress.Parse("127.0.0.2")], port, fallback: false); // the first bind was released
    }
}
