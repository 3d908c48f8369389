using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Extensions;
using TorrentLab.Network;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

/// <summary>An in-process peer that seeds a payload over a real loopback socket, honestly or with one chosen
/// misbehaviour (<see cref="SyntheticBehaviour"/>): the mock swarm of the tests and the lab.</summary>
/// <remarks>Listens on 127.0.0.1 with a port chosen by the system (or on a simulated host: its options' network and
/// clock are the seam, <see cref="INetwork"/> and <see cref="TimeProvider"/>), accepts at most
/// <see cref="SyntheticPeerOptions.MaxConnections"/> connections, and stops everything on dispose. It counts what it
/// uploads and logs what it did ("sent corrupt block index=3 begin=0").</remarks>
public sealed partial class SyntheticPeer : IAsyncDisposable
{
    private const int MaxLogLines = 10_000; // bounded: a long lab run keeps the first lines and a count of the rest

    private readonly SyntheticPeerOptions _options;
    private readonly MetadataServer? _metadata;   // set with ServeMetadata
    private readonly Pieces.HashExchange? _hashes; // set for a v2 torrent: answers hash requests (BEP 52)
    private readonly ITcpListener _listener;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentDictionary<int, Task> _serving = new();
    private readonly Task _acceptLoop;
    private long _bytesUploaded, _blocksSent, _logDropped;
    private int _connections;

    private SyntheticPeer(SyntheticPeerOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PieceLength, 1, nameof(options.PieceLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1, nameof(options.MaxConnections));
        _options = options;
        if (options.ServeMetadata) _metadata = new MetadataServer(options.InfoHash, options.RawInfo);
        if (options.V2Torrent is { } v2) _hashes = new Pieces.HashExchange(v2, new Pieces.PieceCheck(v2));
        PeerId = options.PeerId ?? PeerId.CreateOurs();
        _time = options.Connection.Time;
        // Loopback only on the kernel's sockets, a free port.
        _listener = options.Connection.Network.Listen(new IPEndPoint(options.Address, 0), Math.Min(options.MaxConnections, 64));
        EndPoint = _listener.LocalEndPoint;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Starts listening; connect to <see cref="EndPoint"/>.</summary>
    public static SyntheticPeer Start(SyntheticPeerOptions options) => new(options);

    /// <summary>Where it listens: 127.0.0.1 (or the simulated host's address) and a free port.</summary>
    public IPEndPoint EndPoint { get; }

    public PeerId PeerId { get; }

    public SyntheticBehaviour Behaviour => _options.Behaviour;

    /// <summary>Block bytes sent in <c>piece</c> messages.</summary>
    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);

    /// <summary><c>piece</c> messages sent.</summary>
    public long BlocksSent => Interlocked.Read(ref _blocksSent);

    /// <summary>TCP connections accepted.</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _connections);

    /// <summary>What it did, in order (a snapshot).</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            var lines = _log.ToList();
            var dropped = Interlocked.Read(ref _logDropped);
            if (dropped > 0) lines.Add($"({dropped} more lines dropped)");
            return lines;
        }
    }

    /// <summary>Stops listening, closes every connection and waits (bounded) for them to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        var all = Task.WhenAll([_acceptLoop, .. _serving.Values]);
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5), _time)).ConfigureAwait(false);
        _stop.Dispose();
    }

    public override string ToString() => $"synthetic peer {EndPoint} ({Behaviour})";

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (_connections < _options.MaxConnections)
            {
                if (await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false) is not var (stream, remote)) continue; // it left first
                var number = Interlocked.Increment(ref _connections);
                Write($"accepted connection {number} from {remote}");
                _serving[number] = ServeAsync(stream, remote, number);
            }
            Write($"accepted {_options.MaxConnections} connections: no longer listening");
            _listener.Dispose();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: the listener is closed.
        }
        catch (SocketException e) when (_stop.IsCancellationRequested)
        {
            Write($"listener closed ({e.SocketErrorCode})");
        }
    }

    private void Write(string line)
    {
        if (_log.Count < MaxLogLines) _log.Enqueue(line);
        else Interlocked.Increment(ref _logDropped);
        _options.OnLog?.Invoke(line);
    }
}
