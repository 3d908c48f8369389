using System.Net;

namespace TorrentLab.Utp;

internal sealed partial class UtpSocket
{
    /// <summary>A connection's address in the table: who sent it and the id it receives on.</summary>
    private readonly record struct ConnectionKey(IPEndPoint Remote, ushort ReceiveId);

    private readonly object _tableGate = new();
    private readonly Dictionary<ConnectionKey, UtpConnection> _connections = [];
    private readonly List<UtpConnection> _pending = [];   // accepted by the protocol, not yet by AcceptAsync
    private readonly List<(ConnectionKey Key, UtpConnection Connection)> _halfOpen = [];   // SYN answered, nothing since; oldest first
    private TaskCompletionSource? _acceptWaiter;
    private bool _listening;

    /// <summary>Connections in the table, in every state.</summary>
    public int ConnectionCount { get { lock (_tableGate) return _connections.Count; } }

    /// <summary>Incoming connections waiting for <see cref="AcceptAsync"/>.</summary>
    public int PendingAccepts { get { lock (_tableGate) return _pending.Count; } }

    /// <summary>Incoming connections whose SYN we answered and that have sent nothing since.</summary>
    public int HalfOpen { get { lock (_tableGate) return _halfOpen.Count; } }

    /// <summary>Starts accepting incoming connections (until then an ST_SYN is answered with ST_RESET).</summary>
    public void Listen()
    {
        lock (_tableGate) _listening = true;
    }

    /// <summary>Opens a connection to <paramref name="remote"/>: ST_SYN, then the stream once its ack arrives.</summary>
    /// <exception cref="UtpException">Refused (ST_RESET), unanswered, or too many connections.</exception>
    public async Task<UtpStream> ConnectAsync(IPEndPoint remote, CancellationToken ct)
    {
        UtpConnection connection;
        lock (_tableGate)
        {
            if (_connections.Count >= _options.MaxConnections)
                throw new UtpException($"uTP: cannot connect to {remote}: {_options.MaxConnections} connections are open");
            ushort id;
            do id = (ushort)Randomness.Shared.Next(0x10000);
            while (_connections.ContainsKey(new ConnectionKey(remote, id)));
            connection = UtpConnection.Connect(remote, id, (ushort)Randomness.Shared.Next(0x10000), _options, _clock,
                datagram => Send(datagram, remote));
            _connections[new ConnectionKey(remote, id)] = connection;
            WakeTicks();
        }
        try
        {
            await connection.Connected.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Abort("connection attempt cancelled");
            throw;
        }
        return new UtpStream(connection);
    }

    /// <summary>Waits for the next incoming connection (after <see cref="Listen"/>).</summary>
    public async ValueTask<UtpStream> AcceptAsync(CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_tableGate)
            {
                if (_pending.Count > 0)
                {
                    var next = _pending[0];
                    _pending.RemoveAt(0);
                    return new UtpStream(next);
                }
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                _acceptWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _acceptWaiter.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private UtpConnection? Find(IPEndPoint from, ushort receiveId)
    {
        lock (_tableGate) return _connections.GetValueOrDefault(new ConnectionKey(from, receiveId));
    }

    /// <summary>An ST_SYN: a resent one goes to its connection; a new one is answered (ST_STATE) and kept half-open
    /// if we listen, else refused with ST_RESET.</summary>
    /// <remarks>A SYN costs its sender one datagram, and its source address may be forged, so what a SYN alone earns
    /// is bounded and expires, as a TCP stack's SYN queue: a half-open connection is not offered to
    /// <see cref="AcceptAsync"/> until the peer sends on it (<see cref="OnFirstPacket"/>; a BitTorrent initiator
    /// sends its handshake at once), at most <see cref="UtpOptions.MaxHalfOpen"/> are kept, and a new SYN takes the
    /// place of the oldest one (which is dropped without a word: no datagram goes to a forged address), including
    /// when the table is full. A flood of SYNs from any number of ids never reaches the application, never holds the
    /// table, and the SYN after it is answered at once.</remarks>
    private UtpConnection? OnSyn(in UtpPacket syn, IPEndPoint from)
    {
        var key = new ConnectionKey(from, (ushort)(syn.Header.ConnectionId + 1));
        lock (_tableGate)
        {
            if (_connections.TryGetValue(key, out var existing)) return existing;
            if (_halfOpen.Count > 0 && (_halfOpen.Count >= _options.MaxHalfOpen || _connections.Count >= _options.MaxConnections))
                DropOldestHalfOpenLocked();
            if (!_listening || _connections.Count >= _options.MaxConnections)
            {
                Refuse(syn, from);
                return null;
            }
            var connection = UtpConnection.Accept(from, syn, (ushort)Randomness.Shared.Next(0x10000), _options, _clock,
                datagram => Send(datagram, from));
            _connections[key] = connection;
            _halfOpen.Add((key, connection));
            WakeTicks();
        }
        return null;   // the SYN is fully handled: Accept already answered it
    }

    /// <summary>Forgets the half-open connection that has waited longest, at once (its room is wanted now).</summary>
    private void DropOldestHalfOpenLocked()
    {
        var (key, oldest) = _halfOpen[0];
        _halfOpen.RemoveAt(0);
        _connections.Remove(key);
        oldest.Forget("a newer SYN took the place of this half-open connection");
    }

    /// <summary>A half-open connection received its first packet after the SYN: the peer is there (it got our
    /// ST_STATE), so the connection is offered to <see cref="AcceptAsync"/>; past the accept backlog it is reset.</summary>
    private void OnFirstPacket(UtpConnection connection)
    {
        lock (_tableGate)
        {
            var index = _halfOpen.FindIndex(h => ReferenceEquals(h.Connection, connection));
            if (index < 0) return;   // dropped meanwhile
            _halfOpen.RemoveAt(index);
            if (connection.IsFinished) return;   // the first packet was a reset
            if (_pending.Count >= _options.AcceptBacklog)
            {
                connection.Abort("the accept backlog is full");
                return;
            }
            _pending.Add(connection);
            var waiter = _acceptWaiter;
            _acceptWaiter = null;
            waiter?.TrySetResult();
        }
    }

    /// <summary>Answers a SYN we will not take with ST_RESET on the id the initiator listens on.</summary>
    private void Refuse(in UtpPacket syn, IPEndPoint from)
    {
        var header = new UtpHeader(UtpPacketType.Reset, syn.Header.ConnectionId, unchecked((uint)_clock()), 0, 0,
            (ushort)Randomness.Shared.Next(0x10000), syn.Header.SeqNr);
        Span<byte> datagram = stackalloc byte[UtpHeader.Length];
        header.WriteTo(datagram);
        Send(datagram, from);
    }

    /// <summary>Runs every connection's timers and forgets the finished ones (and any still waiting to be accepted).</summary>
    private void TickAll()
    {
        KeyValuePair<ConnectionKey, UtpConnection>[] snapshot;
        lock (_tableGate) snapshot = [.. _connections];
        foreach (var (key, connection) in snapshot)
        {
            connection.Tick();
            if (!connection.IsFinished) continue;
            lock (_tableGate)
            {
                _connections.Remove(key);
                _pending.Remove(connection);
                _halfOpen.RemoveAll(h => ReferenceEquals(h.Connection, connection));
            }
        }
    }

    private void AbortAll(string reason)
    {
        UtpConnection[] all;
        lock (_tableGate)
        {
            all = [.. _connections.Values];
            _connections.Clear();
            _pending.Clear();
            _halfOpen.Clear();
            var waiter = _acceptWaiter;
            _acceptWaiter = null;
            waiter?.TrySetException(new ObjectDisposedException(nameof(UtpSocket)));
        }
        foreach (var connection in all) connection.Abort(reason);
    }
}
