using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>A scripted hostile peer that dials (the other side of <see cref="HostilePeer"/>): raw bytes at a seeder's
/// listener, for floods of requests and broken handshakes.</summary>
/// <remarks>Bounded: every read waits at most the given time, and <see cref="WaitForCloseAsync"/> reads at most
/// 64 MiB before it gives up.</remarks>
internal sealed class HostileClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[4096]; // small: the regression test counts every byte allocated per connection

    private HostileClient(Socket socket) => _socket = socket;

    /// <summary>A new peer id for each connection: the seeder bans by peer id, so one ban does not hide the others.</summary>
    public PeerId PeerId { get; } = PeerId.CreateOurs();

    /// <summary>Connects to <paramref name="port"/> on 127.0.0.1, from <paramref name="from"/> (another loopback
    /// address: a host of its own) when given. With <paramref name="receiveBuffer"/>, the socket's receive buffer is
    /// that small (set before the dial, so the window it offers stays small): a peer that stops reading then holds
    /// only a few of the blocks sent to it, whatever the kernel's buffer limits.</summary>
    public static async Task<HostileClient> ConnectAsync(int port, CancellationToken ct, IPAddress? from = null, int? receiveBuffer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (receiveBuffer is { } size) socket.ReceiveBufferSize = size;
            if (from is not null) socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new HostileClient(socket);
    }

    /// <summary>Sends bytes; false when the other side has already closed or reset the connection.</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        try
        {
            await _socket.SendAsync(bytes, SocketFlags.None, ct);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Sends a valid handshake for <paramref name="infoHash"/> and reads the seeder's 68-byte answer.</summary>
    /// <returns>False when the seeder closed instead of answering.</returns>
    public async Task<bool> HandshakeAsync(InfoHash infoHash, TimeSpan timeout, CancellationToken ct)
    {
        if (!await SendAsync(new Handshake(infoHash, PeerId).ToBytes(), ct)) return false;
        var got = 0;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        while (got < Handshake.Length)
        {
            var n = await ReceiveAsync(_buffer.AsMemory(got, Handshake.Length - got), limit.Token);
            if (n <= 0) return false;
            got += n;
        }
        return true;
    }

    /// <summary>Reads frames until an <c>unchoke</c> (id 1): true, or false at a close or after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForUnchokeAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var header = new byte[5];
        try
        {
            while (true)
            {
                if (!await ReadExactlyAsync(header.AsMemory(0, 4), limit.Token)) return false;
                var length = BinaryPrimitives.ReadInt32BigEndian(header);
                if (length == 0) continue; // keep-alive
                if (length < 0 || length > 1 << 20 || !await ReadExactlyAsync(header.AsMemory(4, 1), limit.Token)) return false;
                if (header[4] == 1) return true;
                for (var left = length - 1; left > 0;)
                {
                    var chunk = Math.Min(left, _buffer.Length);
                    if (!await ReadExactlyAsync(_buffer.AsMemory(0, chunk), limit.Token)) return false;
                    left -= chunk;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> ReadExactlyAsync(Memory<byte> into, CancellationToken ct)
    {
        for (var got = 0; got < into.Length;)
        {
            var n = await ReceiveAsync(into[got..], ct);
            if (n <= 0) return false;
            got += n;
        }
        return true;
    }

    /// <summary>Sends <paramref name="flood"/> again and again and never reads, until the other side closes (a send
    /// fails: true), or after 64 MiB or <paramref name="timeout"/> (false). A peer that stops reading for good: what
    /// the other side sends fills the buffers between them and stays there. (A send returns once its bytes are in our
    /// socket's buffer: the sends go on until those buffers are full, and each then waits for the other side to read.)</summary>
    public async Task<bool> FloodUntilClosedAsync(ReadOnlyMemory<byte> flood, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            for (long sent = 0; sent < 64L << 20; sent += flood.Length)
                if (!await SendAsync(flood, limit.Token)) return true;
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Reads and discards until the other side closes (true) or <paramref name="timeout"/> passes (false).</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        long total = 0;
        try
        {
            while (total < 64L << 20)
            {
                var n = await ReceiveAsync(_buffer, limit.Token);
                if (n <= 0) return true;
                total += n;
            }
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Bytes read; 0 at a clean close, -1 at a reset.</summary>
    private async Task<int> ReceiveAsync(Memory<byte> into, CancellationToken ct)
    {
        try
        {
            return await _socket.ReceiveAsync(into, SocketFlags.None, ct);
        }
        catch (SocketException)
        {
            return -1;
        }
    }

    /// <summary>A raw <c>request</c> frame (id 6), any values: the writer would refuse the oversized ones.</summary>
    /// <remarks>
    /// <code>
    /// | length = 13 (4) | id = 6 (1) | index (4) | begin (4) | length (4) |
    /// </code>
    /// </remarks>
    public static byte[] Request(int index, int begin, int length)
    {
        var frame = new byte[17];
        BinaryPrimitives.WriteInt32BigEndian(frame, 13);
        frame[4] = 6;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), index);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(9), begin);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(13), length);
        return frame;
    }

    /// <summary>The same frame <paramref name="count"/> times in one buffer (a flood in as few sends as possible).</summary>
    public static byte[] Repeat(Func<int, byte[]> frame, int count) => [.. Enumerable.Range(0, count).SelectMany(frame)];

    public void Dispose() => _socket.Dispose();
}
