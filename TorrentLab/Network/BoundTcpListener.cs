using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace TorrentLab.Network;

/// <summary>The peer port's TCP listener of a <see cref="BoundNetwork"/>: one listener beneath per address of the
/// interface, all on one port number, closed while the interface is down and bound again (same port) when it is back
/// or its addresses change. Connections from all of them come out of <see cref="AcceptAsync"/>.</summary>
internal sealed class BoundTcpListener : ITcpListener
{
    private readonly BoundNetwork _network;
    private readonly IPAddress _requested;
    private readonly int _backlog;
    private readonly bool _reuseAddress;
    private readonly Channel<(Stream Stream, IPEndPoint Remote)> _accepted =
        Channel.CreateBounded<(Stream, IPEndPoint)>(new BoundedChannelOptions(64) { SingleReader = true });
    private readonly object _lock = new();
    private List<(ITcpListener Listener, CancellationTokenSource Stop)> _bound = [];
    private int _port;
    private bool _disposed;

    /// <summary>Binds the interface's addresses now (when it is up) at <paramref name="local"/>'s port; with port 0
    /// the first bind picks it, or, while the interface is down, a number from the dynamic range (RFC 6335) is kept
    /// for when it comes up.</summary>
    /// <exception cref="SocketException">The port is taken on an address of the interface.</exception>
    public BoundTcpListener(BoundNetwork network, IPEndPoint local, int backlog, bool reuseAddress)
    {
        _network = network;
        _requested = local.Address;
        _backlog = backlog;
        _reuseAddress = reuseAddress;
        _port = local.Port;
        lock (_lock)
        {
            BindLocked(network.Watch.Current, throwOnFailure: true);
            if (_port == 0) _port = Random.Shared.Next(49152, 65536);
        }
        network.Watch.Changed += OnChanged;
    }

    public IPEndPoint LocalEndPoint
    {
        get { lock (_lock) return _bound.Count > 0 ? _bound[0].Listener.LocalEndPoint : new IPEndPoint(_requested, _port); }
    }

    /// <summary>The addresses listened on now (none while the interface is down).</summary>
    public IReadOnlyList<IPEndPoint> Bound { get { lock (_lock) return [.. _bound.Select(b => b.Listener.LocalEndPoint)]; } }

    private void OnChanged(InterfaceSnapshot before, InterfaceSnapshot now)
    {
        lock (_lock)
        {
            if (_disposed) return;
            CloseLocked();
            BindLocked(now, throwOnFailure: false);
        }
    }

    /// <summary>The families a request listens on: <c>::</c> every family; <c>0.0.0.0</c> or an IPv4 address IPv4; else IPv6.</summary>
    private bool Wanted(IPAddress address) =>
        _requested.Equals(IPAddress.IPv6Any) || address.AddressFamily == _requested.AddressFamily;

    private void BindLocked(InterfaceSnapshot state, bool throwOnFailure)
    {
        if (!state.Usable) return;
        foreach (var address in state.Addresses.Where(Wanted))
        {
            ITcpListener listener;
            try
            {
                listener = _network.ListenOn(new IPEndPoint(address, _port), _backlog, _reuseAddress);
            }
            catch (SocketException e) when (!throwOnFailure)
            {
                _network.Log($"interface {_network.InterfaceName}: cannot listen on {address} port {_port} again ({e.SocketErrorCode})");
                continue;
            }
            catch (SocketException)
            {
                CloseLocked();
                throw;
            }
            if (_port == 0) _port = listener.LocalEndPoint.Port;
            var stop = new CancellationTokenSource();
            _bound.Add((listener, stop));
            _ = PumpAsync(listener, stop.Token);
        }
    }

    private void CloseLocked()
    {
        foreach (var (listener, stop) in _bound)
        {
            stop.Cancel();
            listener.Dispose();
            stop.Dispose();
        }
        _bound = [];
    }

    /// <summary>Moves the connections of one listener beneath into the channel, until it is closed.</summary>
    private async Task PumpAsync(ITcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            (Stream Stream, IPEndPoint Remote)? accepted;
            try { accepted = await listener.AcceptAsync(ct).ConfigureAwait(false); }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or SocketException) { return; }
            if (accepted is not { } connection) continue;
            if (!_network.Watch.Current.Usable || !_accepted.Writer.TryWrite(connection))
                await connection.Stream.DisposeAsync().ConfigureAwait(false); // down meanwhile, or nobody takes them
        }
    }

    public async Task<(Stream Stream, IPEndPoint Remote)?> AcceptAsync(CancellationToken ct)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(BoundTcpListener));
        }
    }

    public void Dispose()
    {
        _network.Watch.Changed -= OnChanged;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            CloseLocked();
        }
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var left)) left.Stream.Dispose();
    }
}
