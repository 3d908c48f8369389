using System.Net;
using System.Threading.Channels;
using TorrentLab.Downloads;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>The swarm's dialler: takes addresses from the peer book while there is room, at most
/// <see cref="MaxConnecting"/> at once, and dials each over uTP, TCP or both (the race between them is
/// <see cref="TransportRace"/>'s); a connection it makes goes to the swarm to run.</summary>
/// <remarks>The peer wire, encryption and limits above the stream are the same for both transports.</remarks>
internal sealed class Dialler
{
    /// <summary>Connects in progress at once: enough to fill the swarm fast without a storm of half-open sockets.</summary>
    private const int MaxConnecting = 8;

    private readonly TorrentSwarm _swarm;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _connecting;

    public Dialler(TorrentSwarm swarm) => _swarm = swarm;

    /// <summary>A holepunch dial (BEP 55) to an address the book gave now: over uTP only (the NATs pass UDP once both
    /// sides sent).</summary>
    public void DialOverUtp(IPEndPoint endpoint, CancellationToken ct)
    {
        Interlocked.Increment(ref _connecting);
        _swarm.Track(DialAsync(endpoint, ct, utpOnly: true));
    }

    /// <summary>Wakes the dial loop: new addresses, a dial that ended, a connection that ended.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Connects in progress now.</summary>
    public int Connecting => Volatile.Read(ref _connecting);

    /// <summary>Dials known addresses while there is room, at most <see cref="MaxConnecting"/> at once. A seeder dials
    /// too (some peers never dial a seeder, e.g. Transmission on loopback): a tracker does not say which of its peers
    /// are seeds (BEP 3, BEP 23), so a peer that turns out to be one is dropped and not dialled again.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            while (Volatile.Read(ref _connecting) < MaxConnecting && _swarm.ConnectedCount + Volatile.Read(ref _connecting) < _swarm.MaxPeers
                && _swarm.Session.HasRoomForConnections)
            {
                var endpoint = _swarm.Book.TakeNext(_swarm.Time.GetUtcNow());
                if (endpoint is null) break;
                Interlocked.Increment(ref _connecting);
                _swarm.Track(DialAsync(endpoint, ct));
            }
            try
            {
                // Woken by new addresses, a dial that ended (either way) and ended connections; else it sleeps until
                // the next address's back-off is over, or for good: an idle torrent costs no wake-ups.
                var sleep = DialWait();
                if (sleep == Timeout.InfiniteTimeSpan)
                {
                    // No timer to make: a full swarm's dialler is woken so after every connection that ends.
                    await _wake.Reader.ReadAsync(ct).ConfigureAwait(false);
                    continue;
                }
                using var due = new CancellationTokenSource(sleep, _swarm.Time);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct, due.Token);
                await _wake.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>How long the dialler may sleep unless woken: until the next address may be dialled, while there is
    /// room for it; a while when only the session's other torrents hold the room (their peers ending wake no one here).</summary>
    private TimeSpan DialWait()
    {
        if (Volatile.Read(ref _connecting) >= MaxConnecting || _swarm.ConnectedCount + Volatile.Read(ref _connecting) >= _swarm.MaxPeers)
            return Timeout.InfiniteTimeSpan; // a dial or a connection of ours ending wakes us
        if (!_swarm.Session.HasRoomForConnections) return SessionFullRetry;
        if (_swarm.Book.NextTry() is not { } next) return Timeout.InfiniteTimeSpan; // new addresses wake us
        var wait = next - _swarm.Time.GetUtcNow();
        return wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(10) : TimeSpan.FromMilliseconds(10);
    }

    /// <summary>Between looks at the session's room while its other torrents hold every connection.</summary>
    private static readonly TimeSpan SessionFullRetry = TimeSpan.FromSeconds(5);

    /// <summary>Dials one address and runs the peer; a failed dial releases it to the book (and may ask for a BEP 55
    /// rendezvous). <paramref name="utpOnly"/>: a holepunch dial, over uTP only (the NATs pass UDP once both sides sent).</summary>
    private async Task DialAsync(IPEndPoint endpoint, CancellationToken ct, bool utpOnly = false)
    {
        PeerConnection connection;
        try
        {
            connection = await ConnectAsync(endpoint, ct, utpOnly).ConfigureAwait(false); // uTP, TCP or both (below)
        }
        catch (WireException e)
        {
            Interlocked.Decrement(ref _connecting);
            _swarm.Book.Release(endpoint, failed: true, _swarm.Time.GetUtcNow());
            if (e.IsViolation) _swarm.Ban(endpoint, null, e.Reason);
            else _swarm.Log($"dial {endpoint}{(utpOnly ? " (holepunch)" : "")}: {e.Reason}");
            _swarm.Tried(endpoint, PeerFindings.DialFailure(e.Reason), e.Reason);
            if (!e.IsViolation && !utpOnly) _swarm.Holepunching.AskForRendezvous(endpoint); // BEP 55: perhaps a NAT is in the way
            Wake();
            return;
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _connecting);
            return;
        }
        Interlocked.Decrement(ref _connecting);
        Wake(); // a connect slot is free: the next address need not wait for a timeout
        await _swarm.RunPeerAsync(connection, endpoint, ct).ConfigureAwait(false);
    }

    private readonly Lock _transportLock = new();
    private readonly Dictionary<IPEndPoint, PeerTransport> _reachedBy = [];   // peers reached by the second choice

    /// <summary>The transports to dial <paramref name="endpoint"/> with, in order: uTP first by default (TCP first with
    /// <see cref="SessionSettings.DialTcpFirst"/>), but first the one that reached this peer when the other did not.</summary>
    private PeerTransport[] DialOrder(IPEndPoint endpoint)
    {
        if (_swarm.Session.Settings.Transport != PeerTransport.Both) return [_swarm.Session.Settings.Transport];
        var first = _swarm.Session.Settings.DialTcpFirst ? PeerTransport.Tcp : PeerTransport.Utp;
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
        var viaProxy = _swarm.Session.Settings.Proxy is not null;   // every dial goes through it (SessionSettings.Proxy)
        var connection = await PeerConnection.ConnectAsync(endpoint, async token =>
        {
            // A redial (plaintext after a refused encrypted handshake) goes straight to the transport that connected.
            if (reached is { } known || order.Length == 1)
                return await OpenAsync(reached ?? order[0], endpoint, _swarm.Session.Settings.ConnectTimeout, token).ConfigureAwait(false);
            var (stream, winner) = await TransportRace.ConnectFirstAsync(
                t => OpenAsync(order[0], endpoint, _swarm.Session.Settings.ConnectTimeout, t),
                t => OpenAsync(order[1], endpoint, _swarm.Session.Settings.ConnectTimeout, t),
                TransportRace.HeadStartFor(endpoint.Address, viaProxy), TransportRace.LastChanceFor(endpoint.Address, viaProxy),
                (i, e) => _swarm.Log($"dial {endpoint}: {(e as WireException)?.Reason ?? e.Message} ({Name(order[i])})"), _swarm.Time, token).ConfigureAwait(false);
            reached = order[winner];
            return stream;
        }, _swarm.Torrent.InfoHash, _swarm.Session.PeerId, _swarm.ConnectionOptions, ct).ConfigureAwait(false);
        if (reached is { } transport && transport != order[0])
            lock (_transportLock) _reachedBy[endpoint] = transport; // next time, this one first
        return connection;
    }

    /// <summary>A connected stream to the peer over one transport.</summary>
    private async Task<Stream> OpenAsync(PeerTransport transport, IPEndPoint endpoint, TimeSpan timeout, CancellationToken ct)
    {
        if (transport == PeerTransport.Tcp) return await PeerConnection.ConnectTcpAsync(_swarm.Session.Settings.Network, endpoint, timeout, _swarm.Time, ct).ConfigureAwait(false);
        var socket = _swarm.Session.Utp ?? throw new WireException($"peer {endpoint}: no uTP socket", isViolation: false);
        using var limit = new Deadline(timeout, _swarm.Time, ct); // on the session's clock, like TCP's connect timeout
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
