using System.Net;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Incoming connections: every peer that reaches the session's port, over TCP or uTP, handshakes with the session
// first; the info hash it names picks the torrent (BEP 3), whose swarm then runs the connection like one it dialled.
internal sealed partial class Session
{
    private HandshakeSlots? _slots;

    /// <summary>The handshake slots, shared per address and subnet (<see cref="HandshakeSlots"/>).</summary>
    internal HandshakeSlots HandshakeSlots => LazyInitializer.EnsureInitialized(ref _slots, () => new HandshakeSlots(Settings.Time));

    /// <summary>The options of the handshake until the torrent is known: the session's encryption and timeouts.</summary>
    private PeerConnectionOptions IncomingOptions => _incomingOptions ??= new PeerConnectionOptions
    {
        Encryption = Settings.Encryption,
        ConnectTimeout = Settings.ConnectTimeout,
        HandshakeTimeout = Settings.HandshakeTimeout,
        IdleTimeout = Settings.IdleTimeout,
        Time = Settings.Time,
        Trace = Settings.Trace,
    };

    private PeerConnectionOptions? _incomingOptions;

    /// <summary>BEP 3 handshakes refused because they named no torrent of the session.</summary>
    public int RefusedHandshakes => Volatile.Read(ref _refused);
    private int _refused;

    /// <summary>Connections closed at accept because the peer's address is in <see cref="Downloads.SessionSettings.Blocklist"/>.</summary>
    public int BlockedConnections => Volatile.Read(ref _blocked);
    private int _blocked;

    /// <summary>An incoming connection over TCP or uTP (from <see cref="PeerListener"/>).</summary>
    private void OnAccepted(Stream transport, IPEndPoint remote)
    {
        // A blocked address is closed before a byte of it is read.
        if (Settings.Blocklist?.Contains(remote.Address) == true)
        {
            Interlocked.Increment(ref _blocked);
            transport.Dispose();
            return;
        }
        // A full session still takes handshakes: the torrent may make room by dropping an idle peer (TorrentSwarm.Peers.cs).
        // An address or subnet over its share of the handshake slots is closed at once; when all are taken, the
        // costliest stranger's oldest handshake yields to this one.
        if (HandshakeSlots.TryTake(remote, Settings.HandshakeTimeout, _stop.Token) is not { } slot)
        {
            transport.Dispose();
            return;
        }
        _ = AcceptAsync(transport, remote, slot);
    }

    /// <summary>Runs the handshake under its slot: the slot's token fires at the deadline (counted from the accept, so
    /// a peer that trickles bytes gains nothing), when the slot yields to a newcomer, or when the session stops.</summary>
    private async Task AcceptAsync(Stream transport, IPEndPoint remote, HandshakeSlots.Slot slot)
    {
        var ct = slot.Cancelled;
        PeerConnection connection;
        ISessionTorrent? swarm = null;
        try
        {
            // BEP 3: "If a client receives a handshake with an info_hash that it is not currently serving, then the
            // client must drop the connection." The swarm is picked when the peer's handshake names its hash.
            connection = await PeerConnection.AcceptAsync(transport, remote, _swarms, hash =>
            {
                swarm = _swarms.Find(hash);
                if (swarm is not null) return swarm.ConnectionOptions;
                Interlocked.Increment(ref _refused);
                // The torrent's own trace takes over once one is named; a refused handshake is the session's to trace.
                Settings.Trace?.Invoke(WireTraceEvent.Note(remote, "handshake", $"refused: info hash {hash.Hex} is not served here"));
                return null;
            }, PeerId, IncomingOptions, ct).ConfigureAwait(false);
        }
        catch (WireException e)
        {
            Settings.Log?.Invoke($"incoming: {e.Message}");
            // A handshake that failed after naming a torrent is one of that torrent's peers tried (its diagnosis).
            swarm?.Events?.PeerTried(remote, PeerFindings.DialFailure(e.Message), $"incoming: {e.Message}");
            return;
        }
        catch (OperationCanceledException)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            if (_stop.IsCancellationRequested) return;
            var why = $"no complete handshake within {Settings.HandshakeTimeout.TotalSeconds:0.#} s of the accept, or it yielded its slot";
            Settings.Log?.Invoke($"incoming: peer {remote}: {why}");
            swarm?.Events?.PeerTried(remote, Downloads.FindingKind.HandshakeFailed, $"incoming: {why}");
            return;
        }
        finally
        {
            HandshakeSlots.Release(slot);
        }
        swarm!.AdoptIncoming(connection);
    }
}
