using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>A UDP port of a <see cref="BoundNetwork"/> (uTP and the DHT on the peer port, a UDP tracker's port): the
/// port beneath is bound to the interface's address of the requested family, closed while the interface is down (a
/// datagram sent then is dropped, as UDP may drop any), and bound again on the same port number when it is back or
/// its address changes; the handler given to <see cref="Start"/> keeps receiving from each new port.</summary>
internal sealed class BoundUdpPort : IUdpPort
{
    private readonly BoundNetwork _network;
    private readonly IPEndPoint _requested;
    private readonly UdpPortOptions _options;
    private readonly object _lock = new();
    private volatile IUdpPort? _inner;
    private Action<ReadOnlyMemory<byte>, IPEndPoint>? _onDatagram;
    private Action? _onBurstEnd;
    private int _port;
    private bool _disposed;

    /// <summary>Binds now when the interface has an address of <paramref name="local"/>'s family; with port 0 the bind
    /// picks the number, or, while there is none, a number from the dynamic range (RFC 6335) is kept for later.</summary>
    /// <exception cref="SocketException">The port is taken on the interface's address.</exception>
    public BoundUdpPort(BoundNetwork network, IPEndPoint local, UdpPortOptions options)
    {
        _network = network;
        _requested = local;
        _options = options;
        _port = local.Port;
        lock (_lock)
        {
            BindLocked(network.Watch.Current, throwOnFailure: true);
            if (_port == 0) _port = Random.Shared.Next(49152, 65536);
        }
        network.Watch.Changed += OnChanged;
    }

    public IPEndPoint LocalEndPoint => _inner?.LocalEndPoint ?? new IPEndPoint(_requested.Address, _port);

    /// <summary>Whether a port beneath is bound now.</summary>
    public bool IsBound => _inner is not null;

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        if (_inner is { } port && _network.Watch.Current.Usable) port.Send(datagram, to);
        else _network.Drop(to);
    }

    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd = null)
    {
        lock (_lock)
        {
            if (_onDatagram is not null) throw new InvalidOperationException("the port is started already");
            (_onDatagram, _onBurstEnd) = (onDatagram, onBurstEnd);
            _inner?.Start(onDatagram, onBurstEnd);
        }
    }

    private void OnChanged(InterfaceSnapshot before, InterfaceSnapshot now)
    {
        lock (_lock)
        {
            if (_disposed) return;
            var address = now.AddressOf(_requested.AddressFamily);
            if (_inner is { } old)
            {
                if (old.LocalEndPoint.Address.Equals(address)) return; // the same address: keep the port
                _inner = null;
                old.Dispose();
            }
            BindLocked(now, throwOnFailure: false);
        }
    }

    private void BindLocked(InterfaceSnapshot state, bool throwOnFailure)
    {
        if (state.AddressOf(_requested.AddressFamily) is not { } address) return;
        IUdpPort port;
        try
        {
            port = _network.BindUdpOn(new IPEndPoint(address, _port), _options);
        }
        catch (SocketException e) when (!throwOnFailure)
        {
            _network.Log($"interface {_network.InterfaceName}: cannot bind UDP {address} port {_port} again ({e.SocketErrorCode})");
            return;
        }
        if (_port == 0) _port = port.LocalEndPoint.Port;
        if (_onDatagram is { } handler) port.Start(handler, _onBurstEnd);
        _inner = port;
    }

    public void Dispose()
    {
        _network.Watch.Changed -= OnChanged;
        lock (_lock)
        {
            _disposed = true;
            _inner?.Dispose();
            _inner = null;
        }
    }
}
