using System.Net;

namespace TorrentLab.PortMapping;

/// <summary>One way of asking a router for mappings: UPnP IGD (<see cref="UpnpClient"/>), or PCP with its NAT-PMP
/// fallback (<see cref="PcpClient"/>). Every failure is a <see cref="PortMappingException"/> with a one-line message.</summary>
internal interface IGatewayClient : IAsyncDisposable
{
    /// <summary>What the log calls it: "UPnP (http://192.168.1.1:5000/rootDesc.xml)", "PCP/NAT-PMP (192.168.1.1)".</summary>
    string Name { get; }

    /// <summary>Maps <paramref name="internalPort"/> of ours, asking for <paramref name="suggestedExternalPort"/> (the
    /// router may grant another) for <paramref name="lease"/>.</summary>
    /// <exception cref="PortMappingException">Refused, or no (well-formed) answer.</exception>
    Task<GrantedMapping> MapAsync(IpProtocol protocol, int internalPort, int suggestedExternalPort, TimeSpan lease, CancellationToken ct);

    /// <summary>Deletes a mapping this client made (a few tries: deletion is advisory, the lease ends it anyway).</summary>
    /// <exception cref="PortMappingException">Refused, or no answer.</exception>
    Task UnmapAsync(GrantedMapping mapping, CancellationToken ct);

    /// <summary>Deletes what a request for <paramref name="externalPort"/> may have made when its answer never came
    /// (the router may have made the mapping, or not), and only a mapping of ours; false when the router shows none of
    /// ours there.</summary>
    /// <exception cref="PortMappingException">Refused, or no answer.</exception>
    Task<bool> UnmapAskedAsync(IpProtocol protocol, int internalPort, int externalPort, CancellationToken ct);

    /// <summary>The router's external address; null when it has none to say (not connected).</summary>
    /// <exception cref="PortMappingException">Refused, or no answer.</exception>
    Task<IPAddress?> ExternalAddressAsync(CancellationToken ct);

    /// <summary>True once the router was seen to lose its mappings (a restart: its epoch went back); reading clears
    /// it. Every mapping is then made again at once (RFC 6886 3.6).</summary>
    bool TakeReset();
}
