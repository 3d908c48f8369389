using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;
using TorrentLab.Proxy;

namespace TorrentLab.Tracker;

/// <summary>Connects to a host that something from the network named (a tracker URL or its redirect, a web seed),
/// only at an address <see cref="PeerAddressPolicy"/> allows, checked after name resolution: a name is whatever its
/// DNS says, so a hostile tracker's redirect to a name resolving to 169.254.169.254 is refused like the literal.</summary>
/// <remarks>It resolves and connects on a network (<see cref="INetwork"/>: a session's, else the kernel's). The resolver
/// and the connect are also seams of their own: tests resolve made-up names to chosen addresses and record every
/// connect, so they can prove a refused address is never dialled.</remarks>
internal sealed class HostDialer
{
    /// <summary>The kernel's: the system's resolver and a TCP connect.</summary>
    public static HostDialer System { get; } = new(SystemNetwork.Instance);

    /// <summary>A dialer on the kernel's network.</summary>
    public HostDialer() : this(SystemNetwork.Instance) { }

    /// <summary>A dialer on <paramref name="network"/>.</summary>
    public HostDialer(INetwork network)
    {
        Network = network;
        Resolve = network.ResolveAsync;
        Connect = async (to, ct) => await network.ConnectAsync(to, ct).ConfigureAwait(false);
    }

    /// <summary>The kernel's dialer for the kernel's network, else a new one on <paramref name="network"/>.</summary>
    public static HostDialer On(INetwork network) => network == SystemNetwork.Instance ? System : new HostDialer(network);

    /// <summary>The network it resolves and connects on (UDP trackers bind their ports on it too).</summary>
    public INetwork Network { get; }

    /// <summary>Resolves a host name to its addresses.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; }

    /// <summary>Opens a TCP stream to an address that passed the policy.</summary>
    public Func<IPEndPoint, CancellationToken, ValueTask<Stream>> Connect { get; init; }

    /// <summary>Resolves <paramref name="host"/> (or reads it as an address literal) and connects to the first address
    /// the policy allows under <paramref name="scope"/>.</summary>
    /// <exception cref="TrackerException">The host has no address, or none that may be dialled.</exception>
    public async ValueTask<Stream> ConnectAsync(string host, int port, PeerScope scope, CancellationToken ct)
    {
        var bare = host.Trim('[', ']');
        // Through a proxy, a name is the proxy's to resolve (our resolver would tell the network which host we want);
        // the address policy then cannot see the address, which is the proxy's network's, not ours.
        if (Network is Socks5Network proxied && !IPAddress.TryParse(bare, out _))
            return await proxied.ConnectAsync(bare, port, ct).ConfigureAwait(false);
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(bare, out var literal) ? [literal] : await Resolve(bare, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new TrackerException($"cannot resolve '{UntrustedText.Clean(host, 64)}': {e.Message}", e);
        }
        if (addresses.Length == 0) throw new TrackerException($"cannot resolve '{UntrustedText.Clean(host, 64)}': no address");
        var allowed = addresses.FirstOrDefault(a => PeerAddressPolicy.MayUse(a, scope))
            ?? throw new TrackerException($"refusing host '{UntrustedText.Clean(host, 64)}': it resolves to " +
                $"{string.Join(", ", addresses.Take(4).Select(a => a.ToString()))}, none of which may be dialled");
        return await Connect(new IPEndPoint(allowed, port), ct).ConfigureAwait(false);
    }
}
