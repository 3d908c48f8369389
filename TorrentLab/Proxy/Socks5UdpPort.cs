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
/// <para>A proxy that refuses UDP ASSOCIATE (microsocks has no UDP), or names a relay outside its own scope (a proxy
/// elsewhere naming a loopback or LAN address: it would aim our datagrams at our own machine or network), is one log
/// line: then with <see cref="Socks5Proxy.Only"/> nothing is sent at all, otherwise datagrams go direct. Datagrams from
/// anyone but the relay are dropped with <see cref="Socks5Proxy.Only"/>, and taken as they are otherwise.</para>
/// <para>A datagram for a host name (<see cref="Send(ReadOnlySpan{byte}, string, int)"/>: a UDP tracker's) carries the
/// name to the relay, which resolves it; only when it goes direct (no relay, and not proxy only) is the name resolved
/// here.</para>
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
    private readonly Queue<(byte[] Data, Destination To)> _waiting = new();
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

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to) => Send(datagram, new Destination(to, null, to.Port));

    /// <summary>Sends one datagram to <paramref name="host"/> (a name) and <paramref name="port"/>: through the relay with
    /// the name in its header, which the proxy resolves; direct only when the proxy carries no UDP and it is not proxy
    /// only (the name is then resolved beneath). A send that fails is a lost datagram, never an exception.</summary>
    /// <exception cref="ArgumentException">A name SOCKS5 cannot carry: empty, over 255 bytes, or not ASCII.</exception>
    public void Send(ReadOnlySpan<byte> datagram, string host, int port)
    {
        _ = Socks5Messages.UdpDatagram(host, port, []); // refuses, at the caller, a name the header cannot carry
        Send(datagram, new Destination(null, host, port));
    }

    private void Send(ReadOnlySpan<byte> datagram, Destination to)
    {
        if (_relay is { } relay)
        {
            _port.Send(to.Wrap(datagram), relay);
            return;
        }
        if (_refused)
        {
            if (!_network.Proxy.Only) SendDirect(datagram.ToArray(), to);
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

    /// <summary>Where a datagram goes: an address, or a host name and port.</summary>
    private readonly record struct Destination(IPEndPoint? Address, string? Host, int Port)
    {
        /// <summary>The datagram in the relay's header (RFC 1928 7), naming this destination.</summary>
        public byte[] Wrap(ReadOnlySpan<byte> data) =>
            Address is { } address ? Socks5Messages.UdpDatagram(address, data) : Socks5Messages.UdpDatagram(Host!, Port, data);
    }

    /// <summary>Sends without the proxy (not proxy only, and the proxy carries no UDP): to the address, or to the first
    /// unicast address of the name, resolved beneath.</summary>
    private void SendDirect(byte[] data, Destination to)
    {
        if (to.Address is { } address)
        {
            _port.Send(data, address);
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                var addresses = await _network.Inner.ResolveAsync(to.Host!, _stop.Token).ConfigureAwait(false);
                // The first unicast address of the port's own family, as the address policy would allow it.
                var chosen = addresses.Select(AddressKinds.Plain)
                    .FirstOrDefault(a => a.AddressFamily == LocalEndPoint.AddressFamily && AddressKinds.IsUnicast(a));
                if (chosen is null)
                {
                    _network.Log?.Invoke($"'{UntrustedText.Clean(to.Host!, 64)}' has no {LocalEndPoint.AddressFamily} unicast address to send to directly " +
                        $"({string.Join(", ", addresses.Take(4))}); datagram dropped");
                    return;
                }
                _port.Send(data, new IPEndPoint(chosen, to.Port));
            }
            catch (OperationCanceledException) { } // the port was closed
            catch (SocketException e)
            {
                _network.Log?.Invoke($"cannot resolve '{UntrustedText.Clean(to.Host!, 64)}' to send direct: {e.Message}; datagram dropped");
            }
        });
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
                var (relay, proxyAddress) = await RelayOfAsync(reply, ct).ConfigureAwait(false);
                if (OutsideScope(relay.Address, proxyAddress) is { } kind)
                {
                    _refused = true;
                    _network.Log?.Invoke($"the SOCKS5 proxy {proxy} (at {proxyAddress}) names {relay} as its UDP relay, an address that is {kind}: refused, " +
                        "a proxy may not aim our datagrams at this machine or its network; " +
                        (proxy.Only ? "no UDP is sent (uTP, the DHT and UDP trackers are off: proxy only)" : "UDP (uTP, the DHT, UDP trackers) goes direct"));
                    Release(direct: !proxy.Only);
                    return;
                }
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

    /// <summary>Where the relay is: the reply's address, or the proxy's own when the reply names none (all zeros, as
    /// proxies commonly answer) or a name; and the proxy's address, which the relay is judged against.</summary>
    private async Task<(IPEndPoint Relay, IPAddress Proxy)> RelayOfAsync(Socks5Reply reply, CancellationToken ct)
    {
        var proxyAddress = AddressKinds.Plain((await _network.EndPointAsync(ct).ConfigureAwait(false)).Address);
        var address = reply.BoundAddress;
        if (address is null || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) address = proxyAddress;
        return (Plain(new IPEndPoint(address, reply.BoundPort)), proxyAddress);
    }

    /// <summary>Null when <paramref name="relay"/> is in the proxy's own scope, else the kind of address it is (<see cref="AddressKinds.Describe"/>). The
    /// proxy's own address is always its scope. A proxy on loopback is a program of this machine's, trusted as such: any
    /// unicast relay. A proxy elsewhere gets a unicast address that is neither loopback nor private: one on another host
    /// naming 127.0.0.1 or 10.0.0.1 would aim our datagrams (with our address as their source) at this machine's
    /// services or our network's.</summary>
    internal static string? OutsideScope(IPAddress relay, IPAddress proxy)
    {
        relay = AddressKinds.Plain(relay);
        proxy = AddressKinds.Plain(proxy);
        if (relay.Equals(proxy)) return null;
        if (!AddressKinds.IsUnicast(relay)) return AddressKinds.Describe(relay);
        if (IPAddress.IsLoopback(proxy)) return null;
        return IPAddress.IsLoopback(relay) || AddressKinds.IsPrivate(relay) ? AddressKinds.Describe(relay) : null;
    }

    /// <summary>The relay is known: what waited goes out through it.</summary>
    private void Release(IPEndPoint relay)
    {
        (byte[] Data, Destination To)[] waiting;
        lock (_lock)
        {
            _relay = relay;
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        foreach (var (data, to) in waiting) _port.Send(to.Wrap(data), relay);
    }

    /// <summary>No relay: what waited goes direct, or is dropped.</summary>
    private void Release(bool direct)
    {
        (byte[] Data, Destination To)[] waiting;
        lock (_lock)
        {
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        if (direct)
            foreach (var (data, to) in waiting) SendDirect(data, to);
    }

    private static IPEndPoint Plain(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;

    public void Dispose()
    {
        _stop.Cancel();
        _port.Dispose();
    }
}
