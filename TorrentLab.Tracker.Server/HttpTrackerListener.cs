using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker.Server;

/// <summary>The tracker's HTTP side: accepts TCP connections on one socket and runs an
/// <see cref="HttpTrackerConnection"/> for each, at most <see cref="TrackerServerOptions.HttpMaxConnections"/> at once,
/// closing those silent for <see cref="TrackerServerOptions.HttpIdleTimeout"/>.</summary>
/// <remarks>A tracker needs a small part of HTTP/1.1 (a GET, a few header fields, keep-alive), so it speaks it itself
/// rather than hosting a web server: this keeps the standalone tracker small (BENCHMARKS.md, "The tracker at
/// opentracker's rate").</remarks>
internal sealed class HttpTrackerListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly HttpTrackerEndpoint _endpoint;
    private readonly TrackerServerOptions _options;
    private readonly Dictionary<HttpTrackerConnection, Task> _connections = [];
    private readonly Lock _lock = new();
    private readonly Timer _sweep;

    /// <summary>Listens on <paramref name="socket"/>, already bound.</summary>
    public HttpTrackerListener(Socket socket, HttpTrackerEndpoint endpoint, TrackerServerOptions options)
    {
        _socket = socket;
        _endpoint = endpoint;
        _options = options;
        _socket.Listen(backlog: 512); // the kernel queues this many connections while the accept loop catches up
        // Check four times per idle timeout, so a silent connection lives at most 1.25 timeouts.
        var every = TimeSpan.FromTicks(Math.Max(options.HttpIdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks));
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
            var connection = new HttpTrackerConnection(client, _endpoint, _options.Log);
            lock (_lock)
            {
                if (_connections.Count >= _options.HttpMaxConnections)
                {
                    Refuse(client);
                    continue;
                }
                _connections[connection] = Task.CompletedTask; // counted before it runs, so the bound holds
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
            lock (_lock) _connections.Remove(connection);
        }
    }

    // More connections than allowed: a 503 the client can read, then the connection closes.
    private void Refuse(Socket client)
    {
        try
        {
            _options.Log?.Invoke($"refused http connection from {client.RemoteEndPoint}: {_options.HttpMaxConnections} connections are open");
            client.Send("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8);
        }
        catch (SocketException) { } // the client is gone already
        finally
        {
            client.Dispose();
        }
    }

    private void CloseIdle()
    {
        var oldest = Environment.TickCount64 - (long)_options.HttpIdleTimeout.TotalMilliseconds;
        lock (_lock)
            foreach (var connection in _connections.Keys)
                if (connection.LastActive < oldest) connection.Close();
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
