using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>A scripted hostile peer on 127.0.0.1 that writes raw bytes, for attacks the lab's synthetic peer does not
/// play (floods, dribbling, silence, unrequested blocks): each accepted connection runs the script.</summary>
/// <remarks>It notices when the downloader hangs up on it (<see cref="DroppedByDownloader"/>), which is how the tests
/// see a bad peer being dropped. Bounded: at most <c>maxConnections</c> connections, and each script is cancelled on
/// dispose.</remarks>
internal sealed class HostilePeer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _sessions = [];
    private readonly Task _accept;
    private int _dropped;
    private long _bytesSent;

    private HostilePeer(TestTorrents.Built built, Func<HostileSession, Task> script, bool handshake, int maxConnections, bool fast)
    {
        Fast = fast;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accept = AcceptAsync(built, script, handshake, maxConnections);
    }

    /// <summary>Starts listening. With <paramref name="handshake"/>, each connection first exchanges valid handshakes;
    /// with <paramref name="fast"/>, its handshake sets the BEP 6 fast extension bit (so it may send <c>reject</c>).</summary>
    public static HostilePeer Start(TestTorrents.Built built, Func<HostileSession, Task> script, bool handshake = true, int maxConnections = 4,
        bool fast = false) =>
        new(built, script, handshake, maxConnections, fast);

    /// <summary>True when its handshake sets the BEP 6 fast extension bit.</summary>
    public bool Fast { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>The id it answers handshakes with: its own, so several hostile peers can be connected at once.</summary>
    public PeerId PeerId { get; } = PeerId.CreateOurs();

    /// <summary>True once the downloader closed or reset a connection to this peer.</summary>
    public bool DroppedByDownloader => Volatile.Read(ref _dropped) == 1;

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public int Connections { get; private set; }

    internal void CountSent(int bytes) => Interlocked.Add(ref _bytesSent, bytes);

    internal void MarkDropped() => Volatile.Write(ref _dropped, 1);

    private async Task AcceptAsync(TestTorrents.Built built, Func<HostileSession, Task> script, bool handshake, int maxConnections)
    {
        try
        {
            while (Connections < maxConnections)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                Connections++;
                lock (_sessions) _sessions.Add(RunAsync(new HostileSession(this, socket, built, _stop.Token), script, handshake));
            }
        }
        catch (OperationCanceledException) { }
        catch (SocketException) when (_stop.IsCancellationRequested) { }
    }

    private static async Task RunAsync(HostileSession session, Func<HostileSession, Task> script, bool handshake)
    {
        using (session)
        {
            try
            {
                if (handshake && !await session.HandshakeAsync()) return; // closed at once, as plaintext-only clients do
                await script(session);
                await session.WaitForHangUpAsync(); // the script is done: stay until the downloader leaves
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or EndOfStreamException)
            {
                session.Owner.MarkDropped(); // reset or closed while we were writing or reading
            }
            catch (OperationCanceledException) { }
            catch (InvalidDataException) { } // the downloader broke the wire format: the test's assertions report it
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        Task[] sessions;
        lock (_sessions) sessions = [.. _sessions];
        await Wait.ForAsync(Task.WhenAll([_accept, .. sessions]), TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}

/// <summary>One connection of a <see cref="HostilePeer"/>: raw sends, message reads, and an honest serving loop.</summary>
internal sealed class HostileSession(HostilePeer owner, Socket socket, TestTorrents.Built built, CancellationToken ct) : IDisposable
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    public HostilePeer Owner => owner;
    public TestTorrents.Built Built => built;
    public CancellationToken Ct => ct;
    public int PieceCount => built.Torrent.PieceCount;
    public PeerId PeerId => owner.PeerId;

    /// <summary>Reads the downloader's 68-byte handshake and answers with the right info hash; false (and nothing sent)
    /// when it is not a plaintext handshake (an MSE/PE key), which a plaintext-only peer answers by closing.</summary>
    public async Task<bool> HandshakeAsync()
    {
        await FillAsync(Handshake.Length);
        if (!Handshake.StartsPlaintext(_buffer.AsSpan(0, Handshake.PrefixLength))) return false;
        _filled -= Handshake.Length;
        Array.Copy(_buffer, Handshake.Length, _buffer, 0, _filled);
        await SendAsync(new Handshake(built.Torrent.InfoHash, PeerId, owner.Fast ? Handshake.FastExtensionBit : 0).ToBytes());
        return true;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await socket.SendAsync(bytes, SocketFlags.None, ct);
        owner.CountSent(bytes.Length);
    }

    public Task SendAsync(PeerMessage message) => SendAsync(MessageWriter.ToBytes(message));

    /// <summary>Sends each byte on its own, <paramref name="gap"/> apart (a slowloris peer).</summary>
    public async Task DribbleAsync(ReadOnlyMemory<byte> bytes, TimeSpan gap)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            await SendAsync(bytes.Slice(i, 1));
            await Task.Delay(gap, ct);
        }
    }

    /// <summary>The next message the downloader sent (keep-alives included).</summary>
    public async Task<PeerMessage> ReceiveAsync()
    {
        while (true)
        {
            var frame = MessageReader.FrameLength(_buffer.AsSpan(0, _filled));
            if (frame > 0 && _filled >= frame && MessageReader.TryRead(_buffer.AsMemory(0, _filled), PieceCount, WireLimits.BlockLength, out var message, out var consumed))
            {
                var copy = Copy(message);
                _filled -= consumed;
                Array.Copy(_buffer, consumed, _buffer, 0, _filled);
                return copy;
            }
            await FillAsync(Math.Max(frame, _filled + 1));
        }
    }

    /// <summary>An honest seeder's loop: bitfield of every piece, unchoke on interested, answer each request through
    /// <paramref name="send"/> (which may dribble or delay it).</summary>
    public async Task ServeHonestlyAsync(Func<byte[], Task>? send = null, bool sendBitfield = true, Action<PeerMessage>? onRequest = null)
    {
        send ??= bytes => SendAsync(bytes);
        if (sendBitfield) await SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(PieceCount)));
        while (true)
        {
            var message = await ReceiveAsync();
            if (message.Kind == MessageKind.Interested) await send(MessageWriter.ToBytes(PeerMessage.Unchoke));
            if (message.Kind != MessageKind.Request) continue;
            onRequest?.Invoke(message);
            var block = Block(message.Index, message.Begin, message.Length);
            await send(MessageWriter.ToBytes(PeerMessage.Piece(message.Index, message.Begin, block)));
        }
    }

    /// <summary>The true bytes of a block of the payload.</summary>
    public byte[] Block(int index, int begin, int length) =>
        built.Payload.AsSpan(index * built.Torrent.PieceLength + begin, length).ToArray();

    /// <summary>Reads and discards until the downloader closes the connection (then marks the peer dropped).</summary>
    public async Task WaitForHangUpAsync()
    {
        while (true)
        {
            if (_filled == _buffer.Length) _filled = 0; // discard: only the hang-up matters now
            var n = await socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, ct);
            if (n == 0) { owner.MarkDropped(); return; }
            _filled += n;
        }
    }

    private async Task FillAsync(int wanted)
    {
        // Bounded: a length prefix above the wire's limit is never read into memory.
        if (wanted > WireLimits.LengthPrefix + WireLimits.MaxMessageLength)
            throw new InvalidDataException($"the downloader sent a frame of {wanted} bytes, above the limit");
        if (wanted > _buffer.Length) Array.Resize(ref _buffer, wanted);
        while (_filled < wanted)
        {
            var n = await socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, ct);
            if (n == 0) throw new EndOfStreamException("the downloader closed the connection");
            _filled += n;
        }
    }

    private static PeerMessage Copy(in PeerMessage m) => m.Kind switch
    {
        MessageKind.Request => PeerMessage.Request(m.Index, m.Begin, m.Length),
        MessageKind.Cancel => PeerMessage.Cancel(m.Index, m.Begin, m.Length),
        MessageKind.Have => PeerMessage.Have(m.Index),
        MessageKind.Interested => PeerMessage.Interested,
        MessageKind.NotInterested => PeerMessage.NotInterested,
        MessageKind.Choke => PeerMessage.Choke,
        MessageKind.Unchoke => PeerMessage.Unchoke,
        MessageKind.KeepAlive => PeerMessage.KeepAlive,
        _ => PeerMessage.UnknownOf(m.Id, m.Payload.ToArray()),
    };

    /// <summary>A raw frame: length prefix, id, body (for frames the writer would refuse to build).</summary>
    public static byte[] Frame(byte id, ReadOnlySpan<byte> body)
    {
        var frame = new byte[5 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 1 + body.Length);
        frame[4] = id;
        body.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public void Dispose() => socket.Dispose();
}
