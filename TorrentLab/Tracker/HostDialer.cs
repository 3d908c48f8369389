using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker;

/// <summary>Connects to a host that something from the network named (a tracker URL or its redirect, a web seed),
/// only at an address <see cref="PeerAddressPolicy"/> allows, checked after name resolution: a name is whatever its
/// DNS says, so a hostile tracker's redirect to a name resolving to 169.254.169.254 is refused like the literal.</summary>
/// <remarks>The resolver and the connect are seams: tests resolve made-up names to chosen addresses and record every
/// connect, so they can prove a refused address is never dialled.</remarks>
internal sealed class HostDialer
{
    /// <summary>The real one: the system's resolver and a TCP connect.</summary>
    public static HostDialer System { get; } = new();

    /// <summary>Resolves a host name to its addresses.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = (host, ct) => Dns.GetHostAddressesAsync(host, ct);

    /// <summary>Opens a TCP stream to an address that passed the policy.</summary>
    public Func<IPEndPoint, CancellationToken, ValueTask<Stream>> Connect { get; init; } = ConnectTcpAsync;

    /// <summary>Resolves <paramref name="host"/> (or reads it as an address literal) and connects to the first address
    /// the policy allows under <paramref name="scope"/>.</summary>
    /// <exception cref="TrackerException">The host has no address, or none that may be dialled.</exception>
    public async ValueTask<Stream> ConnectAsync(string host, int port, PeerScope scope, CancellationToken ct)
    {
        var bare = host.Trim('[', ']');
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

    private static async ValueTask<Stream> ConnectTcpAsync(IPEndPoint to, CancellationToken ct)
    {
        var socket = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(to, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
