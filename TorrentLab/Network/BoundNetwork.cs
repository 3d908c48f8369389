using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>A network bound to one interface by name (<c>--bind-interface tun0</c>): a decorator of another network
/// through which everything the session sends goes out from the interface's addresses, and nothing at all while the
/// interface is down or has no address (fail closed: no fallback to the default route).</summary>
/// <remarks>
/// <para>TCP connections out bind the interface's address (of the remote's family) before they connect; listeners
/// (<see cref="BoundTcpListener"/>) and UDP ports (<see cref="BoundUdpPort"/>: uTP, the DHT, UDP trackers) bind its
/// addresses and are bound again, on the same port, when they change. On Linux each socket is also tied to the
/// device (SO_BINDTODEVICE), so the kernel routes it out of that interface whatever its routing table says; where that
/// is refused (before Linux 5.7 it needs CAP_NET_RAW), one line says so and sockets are bound by address only, which
/// the kernel may still route out of another interface while the address exists.</para>
/// <para>While the interface is down (or gone, or without an address): a connection out or a name lookup is refused
/// with a <see cref="SocketException"/> (NetworkDown) and a log line, listeners are closed, UDP datagrams are dropped,
/// and announces are skipped (the announcer asks <see cref="DownReason"/>). The interface is followed by
/// an <see cref="InterfaceWatch"/>; <see cref="Watch"/>'s <c>Changed</c> tells the session to announce again when it
/// comes back.</para>
/// <para>Name lookups (tracker and web seed host names, DHT bootstrap names) go to the system's resolver, which this
/// cannot bind; a VPN usually points it at its own servers.</para>
/// </remarks>
internal sealed class BoundNetwork : INetwork, IDisposable
{
    // Linux's setsockopt(SOL_SOCKET, SO_BINDTODEVICE, "name\0"): <asm-generic/socket.h>, SOL_SOCKET = 1, SO_BINDTODEVICE = 25.
    private const int SolSocket = 1, SoBindToDevice = 25;

    private readonly INetwork _inner;
    private readonly Action<string>? _log;
    private readonly bool _systemSource;
    private long _refused, _dropped;
    private int _strictRefused, _droppingLogged;

    /// <param name="inner">The network beneath (the kernel's; a simulated one is bound by state only).</param>
    /// <param name="interfaceName">The interface, as the system names it (<c>tun0</c>, <c>wg0</c>).</param>
    /// <param name="log">Where the lines go.</param>
    /// <param name="source">Reads the interface; by default the kernel's view (for the kernel's network) or the
    /// interfaces <paramref name="inner"/> lists.</param>
    public BoundNetwork(INetwork inner, string interfaceName, Action<string>? log, Func<string, InterfaceSnapshot>? source = null)
    {
        _inner = inner;
        _log = log;
        _systemSource = source is null && inner is SystemNetwork;
        Watch = new InterfaceWatch(interfaceName, source ?? (inner is SystemNetwork ? InterfaceSnapshot.OfSystem : name => Listed(inner, name)), log);
        Watch.Changed += OnChanged;
    }

    /// <summary>The interface's name.</summary>
    public string InterfaceName => Watch.Name;

    /// <summary>Follows the interface.</summary>
    public InterfaceWatch Watch { get; }

    /// <summary>The network beneath.</summary>
    public INetwork Inner => _inner;

    /// <summary>Connections, lookups and announces refused while the interface was down.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Datagrams dropped while the interface was down.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Why nothing goes out now ("interface tun0 down: sending nothing"), or null while the interface is usable.</summary>
    public string? DownReason => Watch.Current.Why(InterfaceName) is { } why ? $"{why}: sending nothing" : null;

    /// <summary>Reads the interface and starts following it on <paramref name="time"/>'s poll (and the system's events).</summary>
    public void Start(TimeProvider time) => Watch.Start(time, _systemSource);

    /// <summary>Counts and logs <paramref name="what"/> ("connection to 10.0.0.1:6881 refused") while the interface is
    /// down; the exception to throw.</summary>
    internal SocketException Refuse(string what)
    {
        var count = Interlocked.Increment(ref _refused);
        var why = DownReason ?? $"interface {InterfaceName} has no address of that family";
        _log?.Invoke($"{why}: {what} ({count} refused so far)");
        return new SocketException((int)SocketError.NetworkDown, $"{why}: {what}");
    }

    /// <summary>Writes one line to the session's log.</summary>
    internal void Log(string line) => _log?.Invoke(line);

    /// <summary>Counts a datagram dropped while the interface is down (one line per time it goes down).</summary>
    internal void Drop(IPEndPoint to)
    {
        Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _droppingLogged, 1) == 0)
            _log?.Invoke($"{DownReason ?? $"interface {InterfaceName} has no address of that family"}: UDP datagrams dropped (first to {to})");
    }

    private void OnChanged(InterfaceSnapshot before, InterfaceSnapshot now)
    {
        if (now.Usable) Volatile.Write(ref _droppingLogged, 0);
    }

    /// <summary>Ties <paramref name="socket"/> to the interface (SO_BINDTODEVICE) on Linux, where permitted.</summary>
    internal void Strict(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref _strictRefused) != 0) return;
        try
        {
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, System.Text.Encoding.ASCII.GetBytes(InterfaceName + "\0"));
        }
        catch (SocketException e)
        {
            if (Interlocked.Exchange(ref _strictRefused, 1) == 0)
                _log?.Invoke($"interface {InterfaceName}: SO_BINDTODEVICE refused ({e.SocketErrorCode}; before Linux 5.7 it needs root or " +
                    "CAP_NET_RAW): sockets are bound by address only, so the kernel routes them as its table says while the address exists");
        }
    }

    public bool SupportsIPv6 => _inner.SupportsIPv6;

    public bool KeepsHttpConnections => _inner.KeepsHttpConnections;

    /// <summary>A TCP connection out from the interface's address of the remote's family; refused while there is none.</summary>
    /// <exception cref="SocketException">The interface is down or has no such address (NetworkDown), or the connect failed.</exception>
    public Task<Stream> ConnectAsync(IPEndPoint remote, CancellationToken ct)
    {
        var local = Watch.Current.AddressOf(remote.AddressFamily);
        if (local is null) return Task.FromException<Stream>(Refuse($"connection to {remote} refused"));
        return _inner is SystemNetwork system ? system.ConnectAsync(remote, local, Strict, ct) : _inner.ConnectAsync(remote, ct);
    }

    /// <summary>A listener on the interface's addresses at <paramref name="local"/>'s port, following them.</summary>
    public ITcpListener Listen(IPEndPoint local, int backlog, bool reuseAddress = false) =>
        new BoundTcpListener(this, local, backlog, reuseAddress);

    /// <summary>The listener beneath on one address of the interface.</summary>
    internal ITcpListener ListenOn(IPEndPoint local, int backlog, bool reuseAddress) => _inner is SystemNetwork system
        ? system.Listen(local, backlog, reuseAddress, Strict) : _inner.Listen(local, backlog, reuseAddress);

    /// <summary>A UDP port on the interface's address of <paramref name="local"/>'s family, following it.</summary>
    public IUdpPort BindUdp(IPEndPoint local, UdpPortOptions options) => new BoundUdpPort(this, local, options);

    /// <summary>The port beneath on the interface's address.</summary>
    internal IUdpPort BindUdpOn(IPEndPoint local, UdpPortOptions options) => _inner is SystemNetwork system
        ? system.BindUdp(local, options, Strict) : _inner.BindUdp(local, options);

    /// <summary>The group joined on the interface alone (on its addresses at the time of joining); refused while it is down.</summary>
    /// <exception cref="SocketException">The interface is down, or cannot carry multicast.</exception>
    public IMulticastPort JoinMulticast(IPEndPoint group)
    {
        if (!Watch.Current.Usable) throw Refuse($"joining the multicast group {group} refused");
        var port = _inner is SystemNetwork ? SystemMulticastPort.Join(group, Interfaces()) : _inner.JoinMulticast(group);
        return new BoundMulticastPort(this, port);
    }

    /// <summary>The system's resolver while the interface is usable; refused while it is down (a lookup is a packet).</summary>
    /// <exception cref="SocketException">The interface is down, or the name does not resolve.</exception>
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Watch.Current.Usable
        ? _inner.ResolveAsync(host, ct)
        : Task.FromException<IPAddress[]>(Refuse($"lookup of '{host}' refused"));

    /// <summary>The bound interface's entries only (none while it is down).</summary>
    public IReadOnlyList<LocalInterface> Interfaces() => Watch.Current.Usable
        ? [.. _inner.Interfaces().Where(i => i.Name == InterfaceName && Watch.Current.Addresses.Contains(i.Address))]
        : [];

    /// <summary>The interface as <paramref name="network"/> lists it (a simulated network).</summary>
    private static InterfaceSnapshot Listed(INetwork network, string name)
    {
        var entries = network.Interfaces().Where(i => i.Name == name).ToList();
        return entries.Count == 0 ? InterfaceSnapshot.Missing
            : new InterfaceSnapshot(true, entries.Any(e => e.Up), [.. entries.Select(e => e.Address).Where(a => !a.IsIPv6LinkLocal)]);
    }

    public void Dispose() => Watch.Dispose();

    /// <summary>A multicast port that sends nothing while the interface is down.</summary>
    private sealed class BoundMulticastPort(BoundNetwork network, IMulticastPort inner) : IMulticastPort
    {
        public IPEndPoint Group => inner.Group;

        public IReadOnlyList<string> InterfaceNames => inner.InterfaceNames;

        public Task<int> SendAsync(byte[] datagram, CancellationToken ct)
        {
            if (network.Watch.Current.Usable) return inner.SendAsync(datagram, ct);
            network.Drop(inner.Group);
            return Task.FromResult(0);
        }

        public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, int maxDatagram) => inner.Start(onDatagram, maxDatagram);

        public void Dispose() => inner.Dispose();
    }
}
