using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tests.Utp;

/// <summary>What an <see cref="ImpairedLink"/> does to each datagram, as probabilities (0..1).</summary>
public sealed record Impairment(double Drop = 0, double Duplicate = 0, double Reorder = 0, double Delay = 0, int MaxDelayMs = 30);

/// <summary>A UDP relay on 127.0.0.1 between two of our endpoints that drops, duplicates, reorders and delays
/// datagrams by a seeded random draw, in both directions: a bad network without root or netem.</summary>
/// <remarks>The client sends to <see cref="EndPoint"/>; the relay forwards from its own back socket to the target, and
/// the target's answers back to the client. Each direction has its own seeded <see cref="Random"/>, so the same seed
/// makes the same decisions for the same sequence of datagrams.</remarks>
public sealed class ImpairedLink : IAsyncDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _target;
    private readonly Impairment _impairment;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _pumps;
    private IPEndPoint? _client;
    private int _dropped, _duplicated, _reordered, _delayed, _forwarded;

    public ImpairedLink(IPEndPoint target, Impairment impairment, int seed)
    {
        _target = target;
        _impairment = impairment;
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _pumps =
        [
            Task.Run(() => PumpAsync(_front, _back, () => _target, new Random(seed), fromClient: true)),
            Task.Run(() => PumpAsync(_back, _front, () => _client, new Random(seed + 1), fromClient: false)),
        ];
    }

    /// <summary>Where the client sends to reach the target through the link.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_front.LocalEndPoint!;

    public int Dropped => Volatile.Read(ref _dropped);
    public int Duplicated => Volatile.Read(ref _duplicated);
    public int Reordered => Volatile.Read(ref _reordered);
    public int Delayed => Volatile.Read(ref _delayed);
    public int Forwarded => Volatile.Read(ref _forwarded);

    private async Task PumpAsync(Socket from, Socket to, Func<IPEndPoint?> destination, Random random, bool fromClient)
    {
        var buffer = new byte[65_535];
        byte[]? held = null;     // a datagram held back to be sent after the next one
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await from.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                if (fromClient) _client = (IPEndPoint)result.RemoteEndPoint;
                var datagram = buffer.AsSpan(0, result.ReceivedBytes).ToArray();
                if (destination() is not { } target) continue;
                if (random.NextDouble() < _impairment.Drop) { Interlocked.Increment(ref _dropped); continue; }
                var copies = random.NextDouble() < _impairment.Duplicate ? 2 : 1;
                if (copies == 2) Interlocked.Increment(ref _duplicated);
                if (held is null && random.NextDouble() < _impairment.Reorder)
                {
                    held = datagram;
                    Interlocked.Increment(ref _reordered);
                    ReleaseLater(to, target, datagram);   // if nothing follows it, it still goes out
                    continue;
                }
                var delay = random.NextDouble() < _impairment.Delay ? random.Next(1, _impairment.MaxDelayMs + 1) : 0;
                for (var i = 0; i < copies; i++)
                {
                    if (delay > 0) { Interlocked.Increment(ref _delayed); SendLater(to, target, datagram, delay); }
                    else Send(to, target, datagram);
                }
                if (held is not null) { Send(to, target, held); held = null; }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }

        void ReleaseLater(Socket socket, IPEndPoint target, byte[] datagram) => _ = Task.Run(async () =>
        {
            await Task.Delay(20);
            if (ReferenceEquals(Interlocked.CompareExchange(ref held, null, datagram), datagram)) Send(socket, target, datagram);
        });
    }

    private void SendLater(Socket socket, IPEndPoint target, byte[] datagram, int delayMs) => _ = Task.Run(async () =>
    {
        await Task.Delay(delayMs);
        Send(socket, target, datagram);
    });

    private void Send(Socket socket, IPEndPoint target, byte[] datagram)
    {
        try
        {
            socket.SendTo(datagram, target);
            Interlocked.Increment(ref _forwarded);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        _back.Dispose();
        await Task.WhenAll(_pumps);
        _stop.Dispose();
    }
}
