using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Transports: which of uTP and TCP a dial tries, in which order, and the fallback from one to the other. The peer wire,
// encryption and limits above the stream are the same for both.
internal sealed partial class TorrentSession
{
    /// <summary>How long a first transport may take to connect before the second is tried: a peer without uTP (aria2,
    /// say) never answers a SYN, and a loopback or LAN peer that has it answers in milliseconds.</summary>
    private static readonly TimeSpan FallbackConnectTimeout = TimeSpan.FromSeconds(3);

    private readonly Lock _transportLock = new();
    private readonly Dictionary<IPEndPoint, PeerTransport> _reachedBy = [];   // peers reached by the second choice

    private string ListeningOn() => _options.Transport switch
    {
        PeerTransport.Tcp => "TCP",
        PeerTransport.Utp => "uTP",
        _ => "TCP and uTP",
    };

    /// <summary>The transports to dial <paramref name="endpoint"/> with, in order: uTP first by default (TCP first with
    /// <see cref="DownloadOptions.DialTcpFirst"/>), but first the one that reached this peer when the other did not.</summary>
    private PeerTransport[] DialOrder(IPEndPoint endpoint)
    {
        if (_options.Transport != PeerTransport.Both) return [_options.Transport];
        var first = _options.DialTcpFirst ? PeerTransport.Tcp : PeerTransport.Utp;
        lock (_transportLock)
            if (_reachedBy.TryGetValue(endpoint, out var reached)) first = reached;
        return first == PeerTransport.Tcp ? [PeerTransport.Tcp, PeerTransport.Utp] : [PeerTransport.Utp, PeerTransport.Tcp];
    }

    /// <summary>Dials <paramref name="endpoint"/> over each transport in turn until one connects, then runs MSE/PE and
    /// the handshake over it. A transport that connected is not left for the next: a failed handshake fails the dial.</summary>
    /// <exception cref="WireException">No transport connected, or the handshake failed.</exception>
    private async Task<PeerConnection> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var order = DialOrder(endpoint);
        for (var i = 0; ; i++)
        {
            var transport = order[i];
            var last = i == order.Length - 1;
            var timeout = last ? _options.ConnectTimeout : Min(_options.ConnectTimeout, FallbackConnectTimeout);
            var opened = false;
            try
            {
                var connection = await PeerConnection.ConnectAsync(endpoint, async token =>
                {
                    var stream = await OpenAsync(transport, endpoint, timeout, token).ConfigureAwait(false);
                    opened = true;
                    return stream;
                }, Torrent.InfoHash, _options.PeerId, ConnectionOptions, ct).ConfigureAwait(false);
                if (i > 0) lock (_transportLock) _reachedBy[endpoint] = transport; // next time, this one first
                return connection;
            }
            catch (WireException e) when (!opened && !e.IsViolation)
            {
                if (last) throw;
                _log?.Invoke($"dial {endpoint}: {e.Reason}; trying {Name(order[i + 1])}");
            }
        }
    }

    /// <summary>A connected stream to the peer over one transport.</summary>
    private async Task<Stream> OpenAsync(PeerTransport transport, IPEndPoint endpoint, TimeSpan timeout, CancellationToken ct)
    {
        if (transport == PeerTransport.Tcp) return await PeerConnection.ConnectTcpAsync(endpoint, timeout, ct).ConfigureAwait(false);
        var socket = _listener?.Utp ?? throw new WireException($"peer {endpoint}: no uTP socket", isViolation: false);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            return await socket.ConnectAsync(endpoint, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new WireException($"peer {endpoint}: no uTP connection within {timeout.TotalSeconds:0.#} s", isViolation: false);
        }
        catch (Exception e) when (e is UtpException or ObjectDisposedException)
        {
            // The uTP message names the peer too ("uTP connection to ADDRESS: reason"): keep the reason only.
            var named = $"{endpoint}: ";
            var at = e.Message.IndexOf(named, StringComparison.Ordinal);
            var reason = at < 0 ? e.Message : e.Message[(at + named.Length)..];
            throw new WireException($"peer {endpoint}: cannot connect over uTP ({reason})", e, isViolation: false);
        }
    }

    private static string Name(PeerTransport transport) => transport == PeerTransport.Utp ? "uTP" : "TCP";

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
