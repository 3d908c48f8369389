using System.Net;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Incoming connections: every peer that reaches the session's port, over TCP or uTP, handshakes with the session
// first; the info hash it names picks the torrent (BEP 3), whose swarm then runs the connection like one it dialled.
public sealed partial class Session
{
    /// <summary>Handshakes in progress at once: a flood of connections that never finish one costs at most this many
    /// handshake buffers and timers.</summary>
    private const int MaxHandshaking = 64;

    private int _handshaking;

    /// <summary>The options of the handshake until the torrent is known: the session's encryption and timeouts.</summary>
    private PeerConnectionOptions IncomingOptions => _incomingOptions ??= new PeerConnectionOptions
    {
        Encryption = Settings.Encryption,
        ConnectTimeout = Settings.ConnectTimeout,
        HandshakeTimeout = Settings.HandshakeTimeout,
        IdleTimeout = Settings.IdleTimeout,
        Trace = Settings.Trace,
    };

    private PeerConnectionOptions? _incomingOptions;

    /// <summary>BEP 3 handshakes refused because they named no torrent of the session.</summary>
    public int RefusedHandshakes => Volatile.Read(ref _refused);
    private int _refused;

    /// <summary>An incoming connection over TCP or uTP (from <see cref="PeerListener"/>).</summary>
    private void OnAccepted(Stream transport, IPEndPoint remote)
    {
        // A full session still takes handshakes: the torrent may make room by dropping an idle peer (TorrentSwarm.Peers.cs).
        if (Interlocked.Increment(ref _handshaking) > MaxHandshaking)
        {
            Interlocked.Decrement(ref _handshaking);
            transport.Dispose();
            return;
        }
        _ = AcceptAsync(transport, remote, _stop.Token);
    }

    private async Task AcceptAsync(Stream transport, IPEndPoint remote, CancellationToken ct)
    {
        PeerConnection connection;
        ISessionTorrent? swarm = null;
        try
        {
            // BEP 3: "If a client receives a handshake with an info_hash that it is not currently serving, then the
            // client must drop the connection." The swarm is picked when the peer's handshake names its hash.
            connection = await PeerConnection.AcceptAsync(transport, remote, _swarms, hash =>
            {
                swarm = _swarms.Find(hash);
                if (swarm is null) Interlocked.Increment(ref _refused);
                return swarm?.ConnectionOptions;
            }, PeerId, IncomingOptions, ct).ConfigureAwait(false);
        }
        catch (WireException e)
        {
            Settings.Log?.Invoke($"incoming: {e.Message}");
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
        }
        swarm!.AdoptIncoming(connection);
    }
}
