using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A network for tests of what goes beneath a proxy: every name it is asked to resolve is recorded and never
/// looked up (<paramref name="names"/> answers the names a test gave; for any other the resolver fails, as one that is
/// unreachable does); every TCP connection goes to
/// <paramref name="connectTo"/> when given (a proxy "at" 203.0.113.7 is a fake one on loopback), else where asked on
/// the kernel's network; UDP ports are the kernel's, or, with <paramref name="recordUdp"/>, ports that send nothing and
/// record each datagram and its destination instead (so a test can name any address without a packet leaving).</summary>
internal sealed class RecordingNetwork(IPEndPoint? connectTo = null, bool recordUdp = false,
    IReadOnlyDictionary<string, IPAddress[]>? names = null) : INetwork
{
    /// <summary>The names asked of the resolver, in order.</summary>
    public ConcurrentQueue<string> Resolved { get; } = new();

    /// <summary>With recordUdp, each datagram sent on any port, and where to.</summary>
    public ConcurrentQueue<(byte[] Data, IPEndPoint To)> Sent { get; } = new();

    public bool SupportsIPv6 => true;

    public bool KeepsHttpConnections => false;

    public Task<Stream> ConnectAsync(IPEndPoint remote, CancellationToken ct) => SystemNetwork.Instance.ConnectAsync(connectTo ?? remote, ct);

    public ITcpListener Listen(IPEndPoint local, int backlog, bool reuseAddress = false) => throw new NotSupportedException("nothing listens here");

    public IUdpPort BindUdp(IPEndPoint local, UdpPortOptions options) =>
        recordUdp ? new RecordingPort(this, new IPEndPoint(local.Address, 40_000)) : SystemNetwork.Instance.BindUdp(local, options);

    public IMulticastPort JoinMulticast(IPEndPoint group) => throw new NotSupportedException("no multicast here");

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        Resolved.Enqueue(host);
        if (names is not null && names.TryGetValue(host, out var addresses)) return Task.FromResult(addresses);
        return Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound, $"the test's resolver looks up nothing ({host})"));
    }

    public IReadOnlyList<LocalInterface> Interfaces() => [];

    /// <summary>A UDP port that records what it is given to send, and receives nothing.</summary>
    private sealed class RecordingPort(RecordingNetwork network, IPEndPoint local) : IUdpPort
    {
        public IPEndPoint LocalEndPoint => local;

        public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to) => network.Sent.Enqueue((datagram.ToArray(), to));

        public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd = null) { }

        public void Dispose() { }
    }
}
