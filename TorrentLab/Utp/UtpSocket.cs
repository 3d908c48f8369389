using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Utp;

/// <summary>One UDP socket that carries every uTP connection of a client, in and out (BEP 29).</summary>
/// <remarks>
/// Datagrams are routed by (sender address, connection id): a connection receives on its own id, and an ST_SYN is
/// answered by a new connection whose receive id is the SYN's id + 1. A receive thread reads the socket and hands
/// each datagram to <see cref="Dispatch"/>; once the socket has no more datagrams waiting, the connections that
/// received data send their acks, so a burst of packets is acked once. A timer ticks every connection for its
/// retransmission timeouts. Datagrams that are not uTP (a DHT's KRPC messages start with 'd') go to
/// <see cref="OtherDatagrams"/>, so the DHT can share this socket and port; <see cref="SendDatagram"/> sends its own.
/// </remarks>
internal sealed partial class UtpSocket : IAsyncDisposable
{
    /// <summary>How often the connections' timers run: well under the 500 ms minimum timeout.</summary>
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>The largest UDP payload, so no datagram is ever cut short.</summary>
    private const int MaxDatagram = 65_535;

    /// <summary>Datagrams handled before acks are flushed even if more are waiting (a long burst still gets acks).</summary>
    private const int AckFlushBurst = 32;

    private readonly Socket _socket;
    private readonly UtpOptions _options;
    private readonly Func<long> _clock;
    private readonly Thread _receiver;
    private readonly int _receiverThreadId;
    private readonly UdpSegmentBatch? _batch;   // null where the kernel cannot segment UDP sends (then one send per datagram)
    private readonly Task _timer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<UtpConnection> _touched = [];
    private long _malformed;
    private int _disposed;

    private UtpSocket(Socket socket, UtpOptions options, Func<long> clock)
    {
        _socket = socket;
        _options = options;
        _clock = clock;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _batch = UdpSegmentBatch.TryCreate(socket);
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = $"uTP receive {LocalEndPoint}" };
        _receiverThreadId = _receiver.ManagedThreadId;
        _receiver.Start();
        _timer = TickLoopAsync(_stop.Token);
    }

    /// <summary>Binds a UDP socket to <paramref name="local"/> (port 0 picks a free one) and starts serving it.</summary>
    public static UtpSocket Bind(IPEndPoint local, UtpOptions? options = null)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = 4 * 1024 * 1024;  // the kernel caps it (net.core.rmem_max); more absorbs bursts
            socket.SendBufferSize = 4 * 1024 * 1024;
            socket.Bind(local);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UtpSocket(socket, options ?? new UtpOptions(), UtpClock.NowMicros);
    }

    /// <summary>The address and port the socket is bound to.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Receives every datagram that is not uTP (for the DHT, which shares the socket); null drops them.</summary>
    public Action<ReadOnlyMemory<byte>, IPEndPoint>? OtherDatagrams { get; set; }

    /// <summary>uTP datagrams that failed to decode and were dropped.</summary>
    public long MalformedDatagrams => Interlocked.Read(ref _malformed);

    /// <summary>Sends one datagram from this socket (a DHT sharing the socket uses it); errors count as loss.</summary>
    public void SendDatagram(ReadOnlySpan<byte> datagram, IPEndPoint remote) => Send(datagram, remote.Serialize());

    /// <summary>Sends a datagram. On the receive thread, with UDP segmentation available, datagrams are gathered and
    /// go out together when the thread has handled what was waiting (see <see cref="FlushAcks"/>): data packets
    /// that acks let out leave in one system call per batch instead of one each.</summary>
    private void Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (_batch is { } batch && Environment.CurrentManagedThreadId == _receiverThreadId)
        {
            if (batch.TryAdd(datagram, remote)) return;
            batch.Flush();
            if (batch.TryAdd(datagram, remote)) return;
        }
        try { _socket.SendTo(datagram, SocketFlags.None, remote); }
        catch (SocketException) { }          // UDP: a send that fails is a lost packet, and uTP resends
        catch (ObjectDisposedException) { }
    }

    /// <summary>Routes one received datagram: uTP to its connection (or a new one for an ST_SYN), anything else to
    /// <see cref="OtherDatagrams"/>. Returns false when the datagram is not uTP.</summary>
    /// <remarks>The entry point of a shared socket: whoever reads the socket calls this for each datagram.</remarks>
    public bool Dispatch(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        if (!UtpPacket.LooksLikeUtp(datagram.Span))
        {
            OtherDatagrams?.Invoke(datagram, from);
            return false;
        }
        UtpPacket packet;
        try { packet = UtpPacket.Decode(datagram); }
        catch (UtpException)
        {
            Interlocked.Increment(ref _malformed);
            return true;
        }
        var connection = packet.Header.Type == UtpPacketType.Syn ? OnSyn(packet, from) : Find(from, packet.Header.ConnectionId);
        if (connection is null) return true;
        var halfOpen = connection.State == UtpState.SynReceived;
        connection.OnPacket(packet);
        if (halfOpen && connection.State != UtpState.SynReceived) OnFirstPacket(connection);
        _touched.Add(connection);
        return true;
    }

    /// <summary>Sends the acks owed by the connections that received datagrams since the last flush.</summary>
    private void FlushAcks()
    {
        foreach (var connection in _touched) connection.FlushAck();
        _touched.Clear();
        _batch?.Flush();
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[MaxDatagram];
        // The sender's address is read into one reused SocketAddress and mapped to a cached IPEndPoint: no allocation
        // per datagram (ReceiveFrom with an EndPoint makes a new one each time).
        var from = new SocketAddress(LocalEndPoint.AddressFamily);
        var senders = new Dictionary<SocketAddress, IPEndPoint>();
        var sinceFlush = 0;
        while (Volatile.Read(ref _disposed) == 0)
        {
            int length;
            try { length = _socket.ReceiveFrom(buffer, SocketFlags.None, from); }
            catch (SocketException) when (Volatile.Read(ref _disposed) == 0) { continue; }  // e.g. an ICMP error for an earlier send
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { break; }
            Dispatch(buffer.AsMemory(0, length), Sender(senders, from));
            if (++sinceFlush >= AckFlushBurst || NothingWaiting())
            {
                FlushAcks();
                sinceFlush = 0;
            }
        }
        FlushAcks();
    }

    /// <summary>Senders remembered at once; beyond it the cache starts over (bounded whatever the traffic).</summary>
    private const int MaxCachedSenders = 4096;

    /// <summary>The endpoint for a received address, from the cache when it is a known sender.</summary>
    private static IPEndPoint Sender(Dictionary<SocketAddress, IPEndPoint> senders, SocketAddress address)
    {
        if (senders.TryGetValue(address, out var known)) return known;
        if (senders.Count >= MaxCachedSenders) senders.Clear();
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        var endpoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(copy);
        senders[copy] = endpoint;
        return endpoint;
    }

    private bool NothingWaiting()
    {
        try { return _socket.Available == 0; }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { return true; }
    }

    private readonly SemaphoreSlim _tickWake = new(0, 1);

    /// <summary>A connection was added: the clock runs again.</summary>
    private void WakeTicks()
    {
        try { _tickWake.Release(); } catch (SemaphoreFullException) { }
    }

    private async Task TickLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // No connection, nothing to time out or resend: a socket with none holds no timer (a periodic timer
                // fires on the timer thread whether or not anyone waits for it) and costs no wake-ups until one comes.
                while (ConnectionCount == 0) await _tickWake.WaitAsync(ct).ConfigureAwait(false);
                await TickWhileConnectedAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Ticks every connection each <see cref="TickInterval"/> until none is left.</summary>
    private async Task TickWhileConnectedAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TickInterval, _options.Timers);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            TickAll();
            if (ConnectionCount == 0) return;
        }
    }

    /// <summary>Stops the socket: every connection still open fails, and the port is released.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _timer.ConfigureAwait(false);
        _socket.Dispose();
        _receiver.Join(TimeSpan.FromSeconds(5));
        AbortAll("the uTP socket was closed");
        _stop.Dispose();
    }
}
