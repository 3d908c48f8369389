using System.Net;
using TorrentLab.Network;

namespace TorrentLab.Utp;

/// <summary>One UDP port that carries every uTP connection of a client, in and out (BEP 29).</summary>
/// <remarks>
/// Datagrams are routed by (sender address, connection id): a connection receives on its own id, and an ST_SYN is
/// answered by a new connection whose receive id is the SYN's id + 1. The port (<see cref="INetwork.BindUdp"/>: on
/// the kernel's network, a receive thread of its own) hands each datagram to <see cref="Dispatch"/>; once no more
/// datagrams wait, the connections that received data send their acks, so a burst of packets is acked once. A timer
/// ticks every connection for its retransmission timeouts. Datagrams that are not uTP (a DHT's KRPC messages start
/// with 'd') go to <see cref="OtherDatagrams"/>, so the DHT can share this port; <see cref="SendDatagram"/> sends its
/// own.
/// </remarks>
internal sealed partial class UtpSocket : IAsyncDisposable
{
    /// <summary>How often the connections' timers run: well under the 500 ms minimum timeout.</summary>
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>How the port is read: the largest UDP payload, so no datagram is ever cut short; a thread of its own
    /// and gathered sends for bulk traffic; 4 MiB kernel buffers (the kernel caps them: net.core.rmem_max) to absorb
    /// bursts.</summary>
    private static readonly UdpPortOptions PortOptions = new()
    {
        MaxDatagram = 65_535, ReceiveThread = true, GatherSends = true, BufferBytes = 4 * 1024 * 1024,
    };

    private readonly IUdpPort _port;
    private readonly UtpOptions _options;
    private readonly Func<long> _clock;
    private readonly Task _timer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<UtpConnection> _touched = [];
    private int _disposed;

    private UtpSocket(IUdpPort port, UtpOptions options, Func<long> clock)
    {
        _port = port;
        _options = options;
        _clock = clock;
        LocalEndPoint = port.LocalEndPoint;
        _timer = TickLoopAsync(_stop.Token);
        port.Start((datagram, from) => Dispatch(datagram, from), FlushAcks);
    }

    /// <summary>Binds a UDP port of the kernel's at <paramref name="local"/> (port 0 picks a free one) and starts serving it.</summary>
    public static UtpSocket Bind(IPEndPoint local, UtpOptions? options = null) => Bind(SystemNetwork.Instance, local, options);

    /// <summary>Binds a UDP port of <paramref name="network"/> at <paramref name="local"/> (port 0 picks a free one)
    /// and starts serving it.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address is taken or not ours.</exception>
    public static UtpSocket Bind(INetwork network, IPEndPoint local, UtpOptions? options = null)
    {
        options ??= new UtpOptions();
        return new UtpSocket(network.BindUdp(local, PortOptions), options, UtpClock.Of(options.Timers));
    }

    /// <summary>The address and port the socket is bound to.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Receives every datagram that is not uTP (for the DHT, which shares the socket); null drops them.</summary>
    public Action<ReadOnlyMemory<byte>, IPEndPoint>? OtherDatagrams { get; set; }

    /// <summary>Sends one datagram from this socket (a DHT sharing the socket uses it); errors count as loss.</summary>
    public void SendDatagram(ReadOnlySpan<byte> datagram, IPEndPoint remote) => Send(datagram, remote);

    /// <summary>Sends a datagram. Sent while a burst of received ones is handled, it may wait for the burst's end and
    /// leave with others in one system call (<see cref="UdpPortOptions.GatherSends"/>). A send that fails is a lost
    /// packet, and uTP resends.</summary>
    private void Send(ReadOnlySpan<byte> datagram, IPEndPoint remote) => _port.Send(datagram, remote);

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
            return true; // looked like uTP but does not decode: dropped
        }
        var connection = packet.Header.Type == UtpPacketType.Syn ? OnSyn(packet, from) : Find(from, packet.Header.ConnectionId);
        if (connection is null) return true;
        var halfOpen = connection.State == UtpState.SynReceived;
        connection.OnPacket(packet);
        if (halfOpen && connection.State != UtpState.SynReceived) OnFirstPacket(connection);
        _touched.Add(connection);
        return true;
    }

    /// <summary>Sends the acks owed by the connections that received datagrams since the last flush (the port calls it
    /// when a burst of datagrams ends).</summary>
    private void FlushAcks()
    {
        foreach (var connection in _touched) connection.FlushAck();
        _touched.Clear();
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
        _port.Dispose();
        AbortAll("the uTP socket was closed");
        _stop.Dispose();
    }
}
