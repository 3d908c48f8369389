using System.Net;
using TorrentLab.Network;

namespace TorrentLab.Simulation;

/// <summary>A multicast group joined on a simulated host's one interface: what it sends reaches every host of its
/// network (its NAT's, or itself alone for a public host) that joined the group, itself included (multicast loopback
/// is on by default), after both ends' latencies.</summary>
internal sealed class SimMulticastPort : IMulticastPort
{
    private readonly SimHost _host;
    private Action<ReadOnlyMemory<byte>, IPEndPoint>? _onDatagram;
    private int _max;
    private bool _closed;

    public SimMulticastPort(SimHost host, IPEndPoint group)
    {
        _host = host;
        Group = group;
        host.Joined.Add(this);
    }

    public IPEndPoint Group { get; }

    public IReadOnlyList<string> InterfaceNames => [$"sim0 ({_host.Address})"];

    public Task<int> SendAsync(byte[] datagram, CancellationToken ct)
    {
        if (_closed || _host.Vanished) return Task.FromResult(0);
        var from = new IPEndPoint(_host.Address, Group.Port);
        var network = _host.Network;
        network.Log.Add(EventLog.Kind.Sent, from, Group, datagram.Length);
        foreach (var other in network.Hosts)
        {
            if (other != _host && (other.Nat is null || other.Nat != _host.Nat)) continue;
            foreach (var port in other.Joined.Where(p => p.Group.Equals(Group)).ToList())
                network.Clock.Post(network.Delay(_host, other), static s =>
                {
                    var (to, data, sender) = ((SimMulticastPort, byte[], IPEndPoint))s!;
                    to.Receive(data, sender);
                }, (port, datagram.ToArray(), from));
        }
        return Task.FromResult(1);
    }

    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, int maxDatagram)
    {
        _onDatagram = onDatagram;
        _max = maxDatagram;
    }

    private void Receive(byte[] data, IPEndPoint from)
    {
        if (_closed || _host.Vanished || _onDatagram is not { } handler) return;
        _host.Network.Log.Add(EventLog.Kind.Delivered, from, new IPEndPoint(_host.Address, Group.Port), data.Length);
        handler(data.AsMemory(0, Math.Min(data.Length, _max)), from);
    }

    public void Dispose()
    {
        _closed = true;
        _host.Joined.Remove(this);
    }
}
