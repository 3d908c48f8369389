using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;

namespace TorrentLab.Simulation;

/// <summary>One machine of the simulated internet, and the network as its programs see it (<see cref="INetwork"/>): a
/// session started with <c>SessionSettings.Network</c> set to it binds, dials and resolves here.</summary>
internal sealed partial class SimHost : INetwork
{
    private readonly SimNetwork _network;
    private readonly Dictionary<int, SimTcpListener> _listeners = [];
    private readonly HashSet<int> _tcpPorts = [];
    private readonly Dictionary<int, SimUdpPort> _udpPorts = [];
    private readonly HashSet<int> _udpUsed = [];
    private readonly Datagrams _datagrams;
    private int _nextTcp = 49_152, _nextUdp = 49_152;

    internal SimHost(SimNetwork network, string name, IPAddress address, LinkSpec link, SimNat? nat)
    {
        _network = network;
        Name = name;
        Address = address;
        Nat = nat;
        Link = new AccessLink(network.Clock, link);
        _datagrams = new Datagrams(this);
    }

    public string Name { get; }

    /// <summary>Its place in <see cref="SimNetwork.Hosts"/> (0 for the first host added).</summary>
    public int Number { get; init; }

    /// <summary>The host's address: public, or private behind <see cref="Nat"/>.</summary>
    public IPAddress Address { get; }

    /// <summary>The NAT in front of it, or null for a public host.</summary>
    public SimNat? Nat { get; }

    internal AccessLink Link { get; }

    /// <summary>The multicast groups joined on the host, in the order joined.</summary>
    internal List<SimMulticastPort> Joined { get; } = [];
    internal SimNetwork Network => _network;
    internal SimClock Clock => _network.Clock;

    /// <summary>True once it vanished: nothing it sends leaves, nothing sent to it arrives.</summary>
    public bool Vanished { get; private set; }

    /// <summary>The host drops off the network (its programs run on, unheard), as a machine that loses power or its
    /// line: no connection is closed, no one is told.</summary>
    public void Vanish()
    {
        if (Vanished) return;
        Vanished = true;
        _network.Log.Line(Name, "vanished");
    }

    /// <summary>Bytes the host uploaded and downloaded.</summary>
    public (long Up, long Down) Bytes => (Link.BytesUp, Link.BytesDown);

    /// <summary>Writes a line of this host to the event log (a session's <c>Log</c>).</summary>
    public void LogLine(string line) => _network.Log.Line(Name, line);

    public override string ToString() => $"{Name} ({Address})";

    // ---- INetwork ----

    public bool SupportsIPv6 => false;

    public bool KeepsHttpConnections => false;

    /// <summary>An address literal resolves to itself; the simulated network has no names, so any other is not found.</summary>
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host, out var literal)
            ? Task.FromResult<IPAddress[]>([literal])
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));

    public IReadOnlyList<LocalInterface> Interfaces() =>
        [new LocalInterface("sim0", 1, Address, Nat is null ? 32 : 16, Up: true, Multicast: true, Loopback: false)];

    public ITcpListener Listen(IPEndPoint local, int backlog, bool reuseAddress = false) // nothing lingers after a close here
    {
        var port = TakePort(_tcpPorts, local, ref _nextTcp);
        var listener = new SimTcpListener(this, new IPEndPoint(local.Address, port), backlog);
        _listeners[port] = listener;
        return listener;
    }

    public IUdpPort BindUdp(IPEndPoint local, UdpPortOptions options)
    {
        var port = TakePort(_udpUsed, local, ref _nextUdp);
        var bound = new SimUdpPort(this, new IPEndPoint(local.Address, port), options.MaxDatagram);
        _udpPorts[port] = bound;
        return bound;
    }

    public IMulticastPort JoinMulticast(IPEndPoint group) => new SimMulticastPort(this, group);

    public Task<Stream> ConnectAsync(IPEndPoint remote, CancellationToken ct) => SimTcp.ConnectAsync(this, remote, ct);

    /// <summary>A port for a bind at <paramref name="local"/>: its own (refused when in use or the address is not
    /// ours), or the next free one from 49152 for port 0.</summary>
    private int TakePort(HashSet<int> used, IPEndPoint local, ref int next)
    {
        var address = local.Address;
        if (!(address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(Address)))
            throw new SocketException((int)SocketError.AddressNotAvailable);
        if (local.Port != 0)
        {
            if (!used.Add(local.Port)) throw new SocketException((int)SocketError.AddressAlreadyInUse);
            return local.Port;
        }
        for (var tries = 0; tries < 16_384; tries++)
        {
            var port = next;
            next = next >= 65_535 ? 49_152 : next + 1;
            if (used.Add(port)) return port;
        }
        throw new SocketException((int)SocketError.AddressAlreadyInUse);
    }

    /// <summary>An ephemeral TCP port for an outgoing connection.</summary>
    internal int TakeTcpPort() => TakePort(_tcpPorts, new IPEndPoint(IPAddress.Any, 0), ref _nextTcp);

    internal void ReleaseTcpPort(int port) => _tcpPorts.Remove(port);

    internal void Unbind(SimTcpListener listener)
    {
        if (_listeners.Remove(listener.LocalEndPoint.Port)) _tcpPorts.Remove(listener.LocalEndPoint.Port);
    }

    internal void Unbind(SimUdpPort port)
    {
        if (_udpPorts.Remove(port.LocalEndPoint.Port)) _udpUsed.Remove(port.LocalEndPoint.Port);
    }

    internal SimTcpListener? ListenerAt(int port) => _listeners.GetValueOrDefault(port);

    internal SimUdpPort? UdpPortAt(int port) => _udpPorts.GetValueOrDefault(port);

    /// <summary>Queues a datagram from our <paramref name="port"/> to <paramref name="to"/> on the upload.</summary>
    internal void SendDatagram(int port, IPEndPoint to, byte[] data) => _datagrams.Send(port, to, data);
}
