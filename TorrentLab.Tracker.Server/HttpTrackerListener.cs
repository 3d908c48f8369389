using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;

namespace TorrentLab.Tracker.Server;

/// <summary>The tracker's HTTP side: accepts TCP connections on one listener of its network and runs an
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
/// rather than hosting a web server: this keeps the standalone tracker small (bench/notes/tracker.md, "The tracker at
/// opentracker's rate").</remarks>
internal sealed class HttpTrackerListener : IAsyncDisposable
{
    private readonly ITcpListener _listener;
    private readonly HttpTrackerEndpoint _endpoint;
    private readonly TrackerServerOptions _options;
    private readonly Dictionary<HttpTrackerConnection, Task> _connections = [];
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _lock = new();
    private readonly ITimer _sweep;

    /// <summary>Serves the connections of <paramref name="listener"/>, already listening.</summary>
    public HttpTrackerListener(ITcpListener listener, HttpTrackerEndpoint endpoint, TrackerServerOptions options)
    {
        _listener = listener;
        _endpoint = endpoint;
        _options = options;
        // Check four times per timeout, so a connection lives at most 1.25 timeouts past its deadline.
        var shorter = Math.Min(options.HttpIdleTimeout.Ticks, options.HttpHeadTimeout.Ticks);
        var every = TimeSpan.FromTicks(Math.Max(shorter / 4, TimeSpan.FromMilliseconds(100).Ticks));
        _sweep = options.Time.CreateTimer(_ => CloseIdle(), null, every, every);
    }

    /// <summary>Accepts connections until the listener is closed.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            (Stream Stream, IPEndPoint Remote)? accepted;
            try
            {
                accepted = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            if (accepted is not var (client, from)) continue; // the client gave up while queued
            var remote = HttpTrackerEndpoint.Normalize(from.Address);
            var connection = new HttpTrackerConnection(client, remote, _endpoint, _options);
            bool refused;
            lock (_lock)
            {
                refused = !MakeRoom(remote);
                if (!refused)
                {
                    _connections[connection] = Task.CompletedTask; // counted before it runs, so the bound holds
                    _perAddress[remote] = _perAddress.GetValueOrDefault(remote) + 1;
                }
            }
            if (refused)
            {
                await RefuseAsync(client, from, ct).ConfigureAwait(false);
                continue;
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
    // 64 bytes into an empty connection: the write completes at once, whether or not the client reads.
    private async Task RefuseAsync(Stream client, IPEndPoint from, CancellationToken ct)
    {
        try
        {
            _options.Log?.Invoke($"refused http connection from {from}: its address's {_options.HttpMaxConnectionsPerAddress} " +
                $"or all {_options.HttpMaxConnections} connections are open and served");
            await client.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { } // the client is gone already
        finally
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    // A head past its deadline (whatever trickled in), or a keep-alive connection silent too long.
    private void CloseIdle()
    {
        var time = _options.Time;
        var now = time.GetTimestamp();
        lock (_lock)
            foreach (var connection in _connections.Keys)
                if (time.GetElapsedTime(connection.LastActive, now) > _options.HttpIdleTimeout
                    || connection.HeadSince is { } since && time.GetElapsedTime(since, now) > _options.HttpHeadTimeout)
                    connection.Close();
    }

    /// <summary>Stops accepting, closes every connection and waits (a bounded time) for their loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _sweep.Dispose();
        _listener.Dispose();
        Task[] running;
        lock (_lock)
        {
            foreach (var connection in _connections.Keys) connection.Close();
            running = [.. _connections.Values];
        }
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(2), _options.Time).ConfigureAwait(false); // each ends when its connection closes
        }
        catch (TimeoutException) { } // a loop still running holds only its closed socket
    }

    /// <summary>The address and port listened on.</summary>
    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;
}
