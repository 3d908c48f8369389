using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Transports: which of uTP and TCP a dial tries, in which order, and the race between them (TransportRace). The peer wire,
// encryption and limits above the stream are the same for both.
internal sealed partial class TorrentSwarm
{
    private readonly Lock _transportLock = new();
    private readonly Dictionary<IPEndPoint, PeerTransport> _reachedBy = [];   // peers reached by the second choice

    /// <summary>The transports to dial <paramref name="endpoint"/> with, in order: uTP first by default (TCP first with
    /// <see cref="SessionSettings.DialTcpFirst"/>), but first the one that reached this peer when the other did not.</summary>
    private PeerTransport[] DialOrder(IPEndPoint endpoint)
    {
        if (_session.Settings.Transport != PeerTransport.Both) return [_session.Settings.Transport];
        var first = _session.Settings.DialTcpFirst ? PeerTransport.Tcp : PeerTransport.Utp;
        lock (_transportLock)
            if (_reachedBy.TryGetValue(endpoint, out var reached)) first = reached;
        return first == PeerTransport.Tcp ? [PeerTransport.Tcp, PeerTransport.Utp] : [PeerTransport.Utp, PeerTransport.Tcp];
    }

    /// <summary>Dials <paramref name="endpoint"/> over the first transport of <see cref="DialOrder"/> to connect (the
    /// second joins after a head start, <see cref="TransportRace"/>), then runs MSE/PE and the handshake over that one
    /// stream. A transport that connected is not left for the other: a failed handshake fails the dial.</summary>
    /// <exception cref="WireException">No transport connected, or the handshake failed.</exception>
    private async Task<PeerConnection> ConnectAsync(IPEndPoint endpoint, CancellationToken ct, bool utpOnly = false)
    {
        PeerTransport[] order = utpOnly ? [PeerTransport.Utp] : DialOrder(endpoint);
        PeerTransport? reached = null;
        var viaProxy = _session.Settings.Proxy is not null;   // every dial goes through it (SessionSettings.Proxy)
        var connection = await PeerConnection.ConnectAsync(endpoint, async token =>
        {
            // A redial (plaintext after a refused encrypted handshake) goes straight to the transport that connected.
            if (reached is { } known || order.Length == 1)
                return await OpenAsync(reached ?? order[0], endpoint, _session.Settings.ConnectTimeout, token).ConfigureAwait(false);
            var (stream, winner) = await TransportRace.ConnectFirstAsync(
                t => OpenAsync(order[0], endpoint, _session.Settings.ConnectTimeout, t),
                t => OpenAsync(order[1], endpoint, _session.Settings.ConnectTimeout, t),
                TransportRace.HeadStartFor(endpoint.Address, viaProxy), TransportRace.LastChanceFor(endpoint.Address, viaProxy),
                (i, e) => _log?.Invoke($"dial {endpoint}: {(e as WireException)?.Reason ?? e.Message} ({Name(order[i])})"), Time, token).ConfigureAwait(false);
            reached = order[winner];
            return stream;
        }, Torrent.InfoHash, PeerId, ConnectionOptions, ct).ConfigureAwait(false);
        if (reached is { } transport && transport != order[0])
            lock (_transportLock) _reachedBy[endpoint] = transport; // next time, this one first
        return connection;
    }

    /// <summary>A connected stream to the peer over one transport.</summary>
    private async Task<Stream> OpenAsync(PeerTransport transport, IPEndPoint endpoint, TimeSpan timeout, CancellationToken ct)
    {
        if (transport == PeerTransport.Tcp) return await PeerConnection.ConnectTcpAsync(_session.Settings.Network, endpoint, timeout, Time, ct).ConfigureAwait(false);
        var socket = _session.Utp ?? throw new WireException($"peer {endpoint}: no uTP socket", isViolation: false);
        using var limit = new Deadline(timeout, Time, ct); // on the session's clock, like TCP's connect timeout
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

    }
