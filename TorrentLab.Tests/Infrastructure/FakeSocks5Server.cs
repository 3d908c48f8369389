using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A SOCKS5 server in process on 127.0.0.1 (RFC 1928, no authentication) that answers every UDP ASSOCIATE
/// with the relay address a test chose, whatever it is, and holds the control connection until the client closes it:
/// a proxy that aims our datagrams where it likes. It relays nothing itself; the test plays the relay. Any other
/// command is answered "command not supported".</summary>
public sealed class FakeSocks5Server : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    /// <summary>Starts listening; each UDP ASSOCIATE is answered with <paramref name="relay"/>.</summary>
    public FakeSocks5Server(IPEndPoint relay)
    {
        Relay = relay;
        _listener.Start();
        _serving = ServeAsync(_stop.Token);
    }

    /// <summary>The relay address every UDP ASSOCIATE is answered with.</summary>
    public IPEndPoint Relay { get; }

    /// <summary>Where it listens.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The commands asked for (RFC 1928 4's CMD), in order.</summary>
    public ConcurrentQueue<byte> Commands { get; } = new();

    private async Task ServeAsync(CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(ct);
                connections.Add(AnswerAsync(client, ct));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        // Stopped between two accepts: the next one finds the listener stopped ("Not listening") before it looks at
        // the token (a CI run under load). Disposal cancels before it stops the listener, so the token says which.
        catch (InvalidOperationException) when (ct.IsCancellationRequested) { }
        await Task.WhenAll(connections);
    }

    private async Task AnswerAsync(TcpClient client, CancellationToken ct)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var head = new byte[2];
            await stream.ReadExactlyAsync(head, ct);                          // VER, NMETHODS
            await stream.ReadExactlyAsync(new byte[head[1]], ct);             // METHODS
            await stream.WriteAsync(new byte[] { 5, 0 }, ct);                 // no authentication
            var request = new byte[4];
            await stream.ReadExactlyAsync(request, ct);                       // VER, CMD, RSV, ATYP
            // DST.ADDR (IPv4, IPv6, or a name after its length) and DST.PORT.
            var address = request[3] switch { 1 => 4, 4 => 16, 3 => await ReadByteAsync(stream, ct), _ => throw new IOException($"ATYP {request[3]}") };
            await stream.ReadExactlyAsync(new byte[address + 2], ct);
            Commands.Enqueue(request[1]);
            if (request[1] != 3)
            {
                await stream.WriteAsync(new byte[] { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 }, ct);
                return;
            }
            await stream.WriteAsync(Reply(Relay), ct);
            // RFC 1928 7: the association lasts as long as this connection; the client's close ends it.
            while (await stream.ReadAsync(new byte[1], ct) > 0) { }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or EndOfStreamException) { }
    }

    private static async Task<int> ReadByteAsync(NetworkStream stream, CancellationToken ct)
    {
        var one = new byte[1];
        await stream.ReadExactlyAsync(one, ct);
        return one[0];
    }

    /// <summary>A success reply naming <paramref name="bound"/>: VER, REP, RSV, ATYP, BND.ADDR, BND.PORT.</summary>
    private static byte[] Reply(IPEndPoint bound)
    {
        var address = bound.Address.GetAddressBytes();
        var reply = new byte[4 + address.Length + 2];
        reply[0] = 5;
        reply[3] = (byte)(address.Length == 4 ? 1 : 4);
        address.CopyTo(reply, 4);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(4 + address.Length), (ushort)bound.Port);
        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }
}
