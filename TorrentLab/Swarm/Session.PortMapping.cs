using System.Net;
using TorrentLab.Downloads;
using TorrentLab.PortMapping;

namespace TorrentLab.Swarm;

// Port mapping (SessionSettings.PortMapping, opt-in): one PortMapper for the session keeps the peer port forwarded on
// the router in front of us, TCP and UDP, while the session runs. What it learns goes where others are told about us:
// the external TCP port becomes the port every torrent announces to its trackers and the DHT (as libtorrent announces
// its mapped port, tcp_external_port), and the external address goes to the DHT node as its own (BEP 42's secure id
// is made from it at the next start; libtorrent counts the router's word as its most reliable vote). Trackers are not
// sent the address: BEP 3's optional "ip" parameter is for a client whose tracker sees another address than its peers
// would, and libtorrent sends it only when its user sets announce_ip ("Do not set this option unless you also control
// the tracker"); a tracker takes our address from the announce's source, which the router's NAT already makes the
// external one.
internal sealed partial class Session
{
    private PortMapper? _portMapper;
    private int _mappedPort;
    private IPAddress? _routerAddress;

    /// <summary>The port peers outside reach us on, which trackers and the DHT are told: the router's external TCP port
    /// while a mapping holds one, else our own.</summary>
    internal int AnnouncedPort => Volatile.Read(ref _mappedPort) is > 0 and var mapped ? mapped : Port;

    /// <summary>Our external address as the router named it (a global one), or null.</summary>
    internal IPAddress? RouterAddress => Volatile.Read(ref _routerAddress);

    /// <summary>The port mapper, while it runs (tests read its mappings).</summary>
    internal PortMapper? PortMapper => _portMapper;

    private void StartPortMapping()
    {
        if (Settings.PortMapping == PortMappingProtocols.None) return;
        var options = new PortMapperOptions
        {
            InternalPort = Port,
            Protocols = Settings.PortMapping,
            // TCP for peer connections unless only uTP is spoken; UDP for uTP and the DHT, which share the port.
            Tcp = Settings.Transport != PeerTransport.Utp,
            Udp = Settings.Transport != PeerTransport.Tcp || Settings.Dht,
            Gateway = Settings.ConfigurePortMapper is null ? BoundGateway() : null, // a test names its own router
            Time = Settings.Time,
            Log = Settings.Log,
            ExternalAddressChanged = OnRouterAddress,
            ExternalPortChanged = OnMappedPort,
        };
        if (Settings.ConfigurePortMapper is { } configure) options = configure(options);
        if (options.Gateway is null) return; // BoundGateway said why
        _portMapper = PortMapping.PortMapper.Start(options, options.Gateway);
    }

    /// <summary>The default gateway, when the session listens on the address we have on its link (every address, or
    /// that one); else null, with a line saying why (a mapping to an address nobody listens on would lead nowhere).</summary>
    private Gateway? BoundGateway()
    {
        var gateway = Gateway.FindDefault();
        if (gateway is null)
        {
            Settings.Log?.Invoke("port mapping: off, this machine has no IPv4 default gateway");
            return null;
        }
        var listening = EndPoints.Any(e => e.Address.Equals(IPAddress.Any) || e.Address.Equals(IPAddress.IPv6Any) || e.Address.Equals(gateway.Local)
            || (e.Address.IsIPv4MappedToIPv6 && e.Address.MapToIPv4().Equals(gateway.Local)));
        if (listening) return gateway;
        Settings.Log?.Invoke($"port mapping: off, the session does not listen on {gateway.Local}, our address toward the gateway {gateway.Address}");
        return null;
    }

    private void OnMappedPort(int? port)
    {
        var before = AnnouncedPort;
        Volatile.Write(ref _mappedPort, port ?? 0);
        var now = AnnouncedPort;
        if (now == before) return;
        Settings.Log?.Invoke($"port mapping: announcing port {now} to trackers and the DHT");
        // Every torrent's trackers hear the new port now, not at their next interval.
        foreach (var torrent in _swarms.All()) torrent.OnAnnouncedPortChanged();
    }

    private void OnRouterAddress(IPAddress address)
    {
        Volatile.Write(ref _routerAddress, address);
        Dht?.NoteRouterAddress(address);
    }

    /// <summary>Deletes the router's mappings (each in one line), within the mapper's stop budget. The stop of a
    /// <see cref="Client.TorrentSession"/> begins with it, beside its torrents' stops, so that a stop cut short (a
    /// second Ctrl-C, a service manager's deadline) still finds the router cleaned; a second call waits for the first.</summary>
    internal async Task StopPortMappingAsync()
    {
        if (_portMapper is { } mapper) await mapper.DisposeAsync().ConfigureAwait(false);
    }
}
