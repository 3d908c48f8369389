using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker.Server;

/// <summary>The tracker's HTTP side: accepts TCP connections on one socket and runs an
/// <see cref="HttpTrackerConnection"/> for each, at most <see cref="TrackerServerOptions.HttpMaxConnections"/> at once
/// and <see cref="TrackerServerOptions.HttpMaxConnectionsPerAddress"/> from one address, closing a head not complete
/// within <see cref="TrackerServerOptions.HttpHeadTimeout"/> and a keep-alive connection silent for
/// <see cref="TrackerServerOptions.HttpIdleTimeout"/>.</summary>
/// <remarks>
/// When a budget is full, the oldest stranger in it (a connection that has not completed a request) is closed for the
/// newcomer; a newcomer is refused (503) only when every connection in the budget has been served. So idle or
/// slowloris connections, from one address or many, cannot lock an honest announcer out: one address holds at most its
/// share, and a stranger's place is taken by the next newcomer (issue 53). opentracker, the model, has no connection
/// cap but its file descriptors: it gives each connection 30 s from its accept to send its request (a deadline, not
/// an idle timer), answers once and closes.
/// A tracker needs a small part of HTTP/1.1 (a GET, a few header fields, keep-alive), so it speaks it itself
/// rather than hosting a web server: this keeps the standalone tracker small (BENCHMARKS.md, "The tracker at
/// opentracker's rate").</remarks>
internal sealed class HttpTrackerListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly HttpTrackerEndpoint _endpoint;
    private readonly TrackerServerOptions _options;
    private readonly Dictionary<HttpTrackerConnection, Task> _connections = [];
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _lock = new();
    private readonly Timer _sweep;

    /// <summary>Listens on <paramref name="socket"/>, already bound.</summary>
    public HttpTrackerListener(Socket socket, HttpTrackerEndpoint endpoint, TrackerServerOptions options)
    {
        _socket = socket;
        _endpoint = endpoint;
        _options = options;
        _socket.Listen(backlog: 512); // the kernel queues this many connections while the accept loop catches up
        // Check four times per timeout, so a connection lives at most 1.25 timeouts past its deadline.
        var shorter = Math.Min(options.HttpIdleTimeout.Ticks, options.HttpHeadTimeout.Ticks);
        var every = TimeSpan.FromTicks(Math.Max(shorter / 4, TimeSpan.FromMilliseconds(100).Ticks));
        _sweep = new Timer(_ => CloseIdle(), null, every, every);
    }

    /// <summary>Accepts connections until the socket is closed.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (!ct.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the client gave up while queued
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            try
            {
                client.NoDelay = true; // an answer is one send; nothing to gain from waiting to coalesce
            }
            catch (SocketException)
            {
                client.Dispose(); // reset between accept and here
                continue;
            }
            var remote = HttpTrackerEndpoint.Normalize((client.RemoteEndPoint as IPEndPoint)?.Address);
            var connection = new HttpTrackerConnection(client, remote, _endpoint, _options.Log);
            lock (_lock)
            {
                if (!MakeRoom(remote))
                {
                    Refuse(client);
                    continue;
                }
                _connections[connection] = Task.CompletedTask; // counted before it runs, so the bound holds
                _perAddress[remote] = _perAddress.GetValueOrDefault(remote) + 1;
            }
            var running = RunConnectionAsync(connection, ct);
            lock (_lock)
            {
                if (_connections.ContainsKey(connection)) _connections[connection] = running;
            }
        }
    }

    private async Task RunConnectionAsync(HttpTrackerConnection connection, CancellationToken ct)
    {
        await Task.Yield(); // off the accept loop: the connection's first receive waits on its own
        try
        {
            await connection.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock) Forget(connection);
        }
    }

    // Under the lock: a place for one more connection from remote, if need be by closing the oldest stranger of its
    // address (its share is full) or of all (the whole budget is full). False: every connection there was served.
    private bool MakeRoom(IPAddress remote)
    {
        if (_perAddress.GetValueOrDefault(remote) >= _options.HttpMaxConnectionsPerAddress && !Evict(remote)) return false;
        return _connections.Count < _options.HttpMaxConnections || Evict(null);
    }

    private bool Evict(IPAddress? from)
    {
        HttpTrackerConnection? oldest = null;
        foreach (var connection in _connections.Keys)
            if (connection.IsStranger && (from is null || connection.Remote.Equals(from)) && (oldest is null || connection.Accepted < oldest.Accepted))
                oldest = connection;
        if (oldest is null) return false;
        oldest.Close();
        Forget(oldest); // its place is free now; its loop ends on the closed socket and finds it gone
        return true;
    }

    private void Forget(HttpTrackerConnection connection)
    {
        if (!_connections.Remove(connection)) return;
        if (_perAddress[connection.Remote] == 1) _perAddress.Remove(connection.Remote);
        else _perAddress[connection.Remote]--;
    }

    // More connections than allowed, all of them served: a 503 the client can read, then the connection closes.
    private void Refuse(Socket client)
    {
        try
        {
            _options.Log?.Invoke($"refused http connection from {client.RemoteEndPoint}: its address's {_options.HttpMaxConnectionsPerAddress} " +
                $"or all {_options.HttpMaxConnections} connections are open and served");
            client.Send("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8);
        }
        catch (SocketException) { } // the client is gone already
        finally
        {
            client.Dispose();
        }
    }

    // A head past its deadline (whatever trickled in), or a keep-alive connection silent too long.
    private void CloseIdle()
    {
        var now = Environment.TickCount64;
        var oldest = now - (long)_options.HttpIdleTimeout.TotalMilliseconds;
        var headBegunBefore = now - (long)_options.HttpHeadTimeout.TotalMilliseconds;
        lock (_lock)
            foreach (var connection in _connections.Keys)
                if (connection.LastActive < oldest || connection.HeadSince is var since && since != 0 && since < headBegunBefore)
                    connection.Close();
    }

    /// <summary>Stops accepting, closes every connection and waits (a bounded time) for their loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _sweep.Dispose();
        _socket.Dispose();
        Task[] running;
        lock (_lock)
        {
            foreach (var connection in _connections.Keys) connection.Close();
            running = [.. _connections.Values];
        }
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // each ends when its socket closes
        }
        catch (TimeoutException) { } // a loop still running holds only its closed socket
    }

    /// <summary>The address and port the socket is bound to.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;
}
