using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace TorrentLab.Network;

/// <summary>A UDP socket of the kernel's, read by a thread of its own (<see cref="UdpPortOptions.ReceiveThread"/>) or
/// by asynchronous reads, and sending one datagram per call or, on the receive thread, in gathered batches.</summary>
/// <remarks>A burst ends when the kernel has no more datagrams waiting, or after <see cref="BurstLength"/> of them
/// (a long burst still gets its answers). With <see cref="UdpPortOptions.GatherSends"/>, datagrams sent on the receive
/// thread while a burst is handled join a <see cref="UdpSegmentBatch"/> and go out when it ends, after the handler's
/// own <c>onBurstEnd</c>: data packets that acks let out leave in one system call per batch instead of one each.</remarks>
internal sealed class SystemUdpPort : IUdpPort
{
    /// <summary>Datagrams handled before a burst is ended even if more are waiting.</summary>
    private const int BurstLength = 32;

    /// <summary>Senders remembered at once by the receive thread; beyond it the cache starts over (bounded whatever
    /// the traffic).</summary>
    private const int MaxCachedSenders = 4096;

    private readonly Socket _socket;
    private readonly UdpPortOptions _options;
    private readonly UdpSegmentBatch? _batch;   // null where the kernel cannot segment UDP sends, or not asked for
    private readonly ConditionalWeakTable<IPEndPoint, SocketAddress> _addresses = new(); // serialized once per endpoint
    private readonly CancellationTokenSource _stop = new();
    private Thread[] _receivers = [];
    private int _receiverThreadId = -1;
    private int _started, _disposed;

    private SystemUdpPort(Socket socket, UdpPortOptions options)
    {
        _socket = socket;
        _options = options;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        if (options.GatherSends && options.ReceiveThread && options.ReceiveThreads == 1) _batch = UdpSegmentBatch.TryCreate(socket);
    }

    /// <summary>Binds a socket at <paramref name="local"/>.</summary>
    /// <exception cref="SocketException">The address is taken or not ours.</exception>
    public static SystemUdpPort Bind(IPEndPoint local, UdpPortOptions options, Action<Socket>? prepare = null)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            prepare?.Invoke(socket);
            if (options.BufferBytes > 0)
            {
                socket.ReceiveBufferSize = options.BufferBytes;  // the kernel caps it (net.core.rmem_max)
                socket.SendBufferSize = options.BufferBytes;
            }
            if (options.IPv6Only && local.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            if (OperatingSystem.IsWindows()) socket.IOControl(-1744830452 /* SIO_UDP_CONNRESET */, [0, 0, 0, 0], null); // ICMP errors must not end the reads
            socket.Bind(local);
            return new SystemUdpPort(socket, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        var address = _addresses.GetValue(to, static e => e.Serialize());
        if (_batch is { } batch && Environment.CurrentManagedThreadId == _receiverThreadId)
        {
            if (batch.TryAdd(datagram, address)) return;
            batch.Flush();
            if (batch.TryAdd(datagram, address)) return;
        }
        try { _socket.SendTo(datagram, SocketFlags.None, address); }
        catch (SocketException) { }          // UDP: a send that fails is a lost datagram
        catch (ObjectDisposedException) { }
    }

    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd = null)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("the UDP port is read already");
        if (_options.ReceiveThread)
        {
            _receivers = [.. Enumerable.Range(0, Math.Max(1, _options.ReceiveThreads)).Select(_ =>
                new Thread(() => ReceiveLoop(onDatagram, onBurstEnd)) { IsBackground = true, Name = $"UDP receive {LocalEndPoint}" })];
            _receiverThreadId = _receivers[0].ManagedThreadId; // the thread whose sends a batch gathers (there is one then)
            foreach (var receiver in _receivers) receiver.Start();
        }
        else
        {
            _ = ReceiveLoopAsync(onDatagram, onBurstEnd, _stop.Token);
        }
    }

    private void EndBurst(Action? onBurstEnd)
    {
        onBurstEnd?.Invoke();
        _batch?.Flush();
    }

    private void ReceiveLoop(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd)
    {
        var buffer = new byte[_options.MaxDatagram];
        // The sender's address is read into one reused SocketAddress and mapped to a cached IPEndPoint: no allocation
        // per datagram (ReceiveFrom with an EndPoint makes a new one each time).
        var from = new SocketAddress(LocalEndPoint.AddressFamily);
        var senders = new Dictionary<SocketAddress, IPEndPoint>();
        var sinceEnd = 0;
        while (Volatile.Read(ref _disposed) == 0)
        {
            int length;
            try { length = _socket.ReceiveFrom(buffer, SocketFlags.None, from); }
            catch (SocketException) when (Volatile.Read(ref _disposed) == 0) { continue; }  // e.g. an ICMP error for an earlier send
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { break; }
            onDatagram(buffer.AsMemory(0, length), Sender(senders, from));
            if (++sinceEnd >= BurstLength || NothingWaiting())
            {
                EndBurst(onBurstEnd);
                sinceEnd = 0;
            }
        }
        EndBurst(onBurstEnd);
    }

    private async Task ReceiveLoopAsync(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd, CancellationToken ct)
    {
        var buffer = new byte[_options.MaxDatagram];
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) when (Volatile.Read(ref _disposed) == 0) { continue; } // e.g. a port-unreachable report for an earlier send
            catch (SocketException) { return; }
            var remote = (IPEndPoint)received.RemoteEndPoint;
            if (remote.Address.IsIPv4MappedToIPv6) remote = new IPEndPoint(remote.Address.MapToIPv4(), remote.Port);
            onDatagram(buffer.AsMemory(0, received.ReceivedBytes), remote);
            if (onBurstEnd is not null && NothingWaiting()) onBurstEnd();
        }
    }

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

    /// <summary>Stops reading and closes the socket; returns when the port is free to bind again (a process started
    /// just before holds a copy until it execs: <see cref="SocketRelease"/>). The receive threads are waited for (a few
    /// seconds at most).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        var inode = SocketRelease.InodeOf(_socket);
        _socket.Dispose();
        foreach (var thread in _receivers)
            if (thread.ManagedThreadId != Environment.CurrentManagedThreadId) thread.Join(TimeSpan.FromSeconds(5));
        SocketRelease.WaitUntilUdpGone(inode);
    }
}
