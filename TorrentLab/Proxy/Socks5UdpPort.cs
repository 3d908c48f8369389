using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;

namespace TorrentLab.Proxy;

/// <summary>A UDP port whose datagrams go through a SOCKS5 proxy's relay (RFC 1928 7): a local port beneath, and a TCP
/// connection to the proxy holding a UDP ASSOCIATE for as long as the port lives. Each datagram out is wrapped in the
/// relay's header naming its destination; each one in comes from the relay, unwrapped, named by its sender.</summary>
/// <remarks>
/// <para>The association is asked for in the background: datagrams sent before the relay is known wait (256 at most;
/// UDP promises nothing beyond). If the control connection ends, the association is asked for again, 5 s later and
/// then doubling up to 5 min.</para>
/// <para>A proxy that refuses UDP ASSOCIATE (microsocks has no UDP) is one log line: then with
/// <see cref="Socks5Proxy.Only"/> nothing is sent at all, otherwise datagrams go direct. Datagrams from anyone but the
/// relay are dropped with <see cref="Socks5Proxy.Only"/>, and taken as they are otherwise.</para>
/// </remarks>
internal sealed class Socks5UdpPort : IUdpPort
{
    private const int MaxWaiting = 256;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5), LastRetry = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan AssociateTimeout = TimeSpan.FromSeconds(30);

    private readonly Socks5Network _network;
    private readonly IUdpPort _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly Queue<(byte[] Data, IPEndPoint To)> _waiting = new();
    private volatile IPEndPoint? _relay;
    private volatile bool _refused;

    /// <summary>Wraps <paramref name="port"/> (bound on the network beneath) and starts asking for the association.</summary>
    public Socks5UdpPort(Socks5Network network, IUdpPort port)
    {
        _network = network;
        _port = port;
        Associated = Task.Run(() => KeepAssociatedAsync(_stop.Token));
    }

    /// <summary>The loop that keeps the association (ends when the port is disposed or the proxy refuses UDP).</summary>
    internal Task Associated { get; }

    /// <summary>The relay's address while an association holds, else null.</summary>
    internal IPEndPoint? Relay => _relay;

    public IPEndPoint LocalEndPoint => _port.LocalEndPoint;

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        if (_relay is { } relay)
        {
            _port.Send(Socks5Messages.UdpDatagram(to, datagram), relay);
            return;
        }
        if (_refused)
        {
            if (!_network.Proxy.Only) _port.Send(datagram, to);
            return;
        }
        lock (_lock)
        {
            if (_relay is null)
            {
                if (_waiting.Count < MaxWaiting) _waiting.Enqueue((datagram.ToArray(), to));
                return;
            }
        }
        Send(datagram, to); // the relay became known meanwhile
    }

    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd = null) =>
        _port.Start((data, from) =>
        {
            if (_relay is { } relay && Plain(from).Equals(relay))
            {
                // RFC 1928 7: the relay hands us "+----+------+------+----------+----------+----------+ |RSV | FRAG |
                // ATYP | DST.ADDR | DST.PORT | DATA |", the address being the sender's; fragments are dropped.
                if (Socks5Messages.ReadUdpDatagram(data) is { Remote: { } sender } relayed) onDatagram(relayed.Data, Plain(sender));
                return;
            }
            if (!_network.Proxy.Only) onDatagram(data, from);
        }, onBurstEnd);

    private async Task KeepAssociatedAsync(CancellationToken ct)
    {
        var proxy = _network.Proxy;
        var retry = FirstRetry;
        while (!ct.IsCancellationRequested)
        {
            Stream? control = null;
            try
            {
                control = await _network.OpenAsync(ct).ConfigureAwait(false);
                Socks5Reply reply;
                using (var timeout = new CancellationTokenSource(AssociateTimeout, _network.Time))
                using (var both = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token))
                {
                    // RFC 1928 4 (UDP ASSOCIATE): "If the client is not in possesion of the information at the time of
                    // the UDP ASSOCIATE, the client MUST use a port number and address of all zeros."
                    reply = await Socks5Handshake.RunAsync(control, proxy,
                        Socks5Messages.Request(Socks5Messages.UdpAssociate, new IPEndPoint(IPAddress.Any, 0)), both.Token).ConfigureAwait(false);
                }
                if (!reply.Succeeded)
                {
                    _refused = true;
                    _network.Log?.Invoke($"the SOCKS5 proxy {proxy} refuses UDP ASSOCIATE ({Socks5Messages.Describe(reply.Code)}): " +
                        (proxy.Only ? "no UDP is sent (uTP, the DHT and UDP trackers are off: proxy only)" : "UDP (uTP, the DHT, UDP trackers) goes direct"));
                    Release(direct: !proxy.Only);
                    return;
                }
                var relay = await RelayOfAsync(reply, ct).ConfigureAwait(false);
                Release(relay);
                retry = FirstRetry;
                // RFC 1928 7: "A UDP association terminates when the TCP connection that the UDP ASSOCIATE request arrived
                // on terminates." The proxy sends nothing more on it: a read returns when it closes.
                _ = await control.ReadAsync(new byte[1], ct).ConfigureAwait(false);
                _network.Log?.Invoke($"the SOCKS5 proxy {proxy} ended the UDP association of port {LocalEndPoint.Port}; asking again in {retry.TotalSeconds:0} s");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                _network.Log?.Invoke($"no UDP association with the SOCKS5 proxy for port {LocalEndPoint.Port}: {e.Message}; asking again in {retry.TotalSeconds:0} s");
                Release(direct: false); // what waited is stale by the next try
            }
            finally
            {
                _relay = null;
                if (control is not null) await control.DisposeAsync().ConfigureAwait(false);
            }
            try
            {
                await Task.Delay(retry, _network.Time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            retry = retry * 2 < LastRetry ? retry * 2 : LastRetry;
        }
    }

    /// <summary>Where the relay is: the reply's address, or the proxy's own when the reply names none (all zeros) or a
    /// name.</summary>
    private async Task<IPEndPoint> RelayOfAsync(Socks5Reply reply, CancellationToken ct)
    {
        var address = reply.BoundAddress;
        if (address is null || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            address = (await _network.EndPointAsync(ct).ConfigureAwait(false)).Address;
        return Plain(new IPEndPoint(address, reply.BoundPort));
    }

    /// <summary>The relay is known: what waited goes out through it.</summary>
    private void Release(IPEndPoint relay)
    {
        (byte[] Data, IPEndPoint To)[] waiting;
        lock (_lock)
        {
            _relay = relay;
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        foreach (var (data, to) in waiting) _port.Send(Socks5Messages.UdpDatagram(to, data), relay);
    }

    /// <summary>No relay: what waited goes direct, or is dropped.</summary>
    private void Release(bool direct)
    {
        (byte[] Data, IPEndPoint To)[] waiting;
        lock (_lock)
        {
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        if (direct)
            foreach (var (data, to) in waiting) _port.Send(data, to);
    }

    private static IPEndPoint Plain(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;

    public void Dispose()
    {
        _stop.Cancel();
        _port.Dispose();
    }
}
