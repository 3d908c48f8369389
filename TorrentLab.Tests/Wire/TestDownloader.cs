using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>A minimal single-peer downloader for tests: interested, wait for unchoke, pipeline 16 KiB requests,
/// re-request what a choke dropped. Verifying pieces is left to the test.</summary>
internal static class TestDownloader
{
    public static readonly InfoHash OtherHash = InfoHash.FromHex("00112233445566778899aabbccddeeff00112233");

    /// <summary>Fetches <paramref name="pieces"/> (default: all) into a payload-sized array.</summary>
    public static async Task<byte[]> DownloadAsync(PeerConnection connection, Torrent torrent, IEnumerable<int>? pieces = null,
        int pipeline = 16, CancellationToken ct = default)
    {
        var payload = new byte[torrent.TotalLength];
        var pending = new Queue<(int Index, int Begin, int Length)>();
        foreach (var index in pieces ?? Enumerable.Range(0, torrent.PieceCount))
            for (var begin = 0; begin < torrent.GetPieceLength(index); begin += WireLimits.BlockLength)
                pending.Enqueue((index, begin, Math.Min(WireLimits.BlockLength, torrent.GetPieceLength(index) - begin)));
        var outstanding = new Dictionary<(int, int), int>();
        var batch = new List<PeerMessage>();

        await connection.SendInterestedAsync(ct);
        while (pending.Count > 0 || outstanding.Count > 0)
        {
            batch.Clear();
            while (!connection.PeerChoking && outstanding.Count < pipeline && pending.TryDequeue(out var block))
            {
                outstanding[(block.Index, block.Begin)] = block.Length;
                batch.Add(PeerMessage.Request(block.Index, block.Begin, block.Length));
            }
            if (batch.Count > 0) await connection.SendAsync(batch.ToArray(), ct);

            var message = await connection.ReceiveAsync(ct);
            switch (message.Kind)
            {
                case MessageKind.Piece when outstanding.Remove((message.Index, message.Begin)):
                    message.Payload.Span.CopyTo(payload.AsSpan((int)((long)message.Index * torrent.PieceLength + message.Begin)));
                    break;
                case MessageKind.Choke:   // BEP 3: a choke discards every pending request
                    foreach (var ((index, begin), length) in outstanding) pending.Enqueue((index, begin, length));
                    outstanding.Clear();
                    break;
            }
        }
        return payload;
    }

    /// <summary>The indexes of the pieces of <paramref name="payload"/> whose SHA-1 differs from the torrent's.</summary>
    public static List<int> BadPieces(Torrent torrent, byte[] payload, IEnumerable<int>? pieces = null) =>
        (pieces ?? Enumerable.Range(0, torrent.PieceCount))
            .Where(i => !SHA1.HashData(payload.AsSpan(i * torrent.PieceLength, torrent.GetPieceLength(i))).AsSpan().SequenceEqual(torrent.GetPieceHash(i)))
            .ToList();

    /// <summary>Two connected PeerConnections over loopback (client dialled, server accepted).</summary>
    /// <remarks>The client's socket is bound before it dials, so the listener takes only that connection: anything else
    /// that reaches the port (a dial from a test that freed it) is closed. When both sides fail, the server's error
    /// names the client's too: it says why the server heard no handshake.</remarks>
    public static async Task<(PeerConnection Client, PeerConnection Server)> PairAsync(InfoHash hash,
        PeerConnectionOptions? client = null, PeerConnectionOptions? server = null, Func<Stream, Stream>? clientTransport = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        var target = (IPEndPoint)listener.LocalEndPoint!;
        var ours = new ConcurrentDictionary<int, bool>();   // the ports the client dialled from
        var dial = PeerConnection.ConnectAsync(target, async token =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            ours[((IPEndPoint)socket.LocalEndPoint!).Port] = true;
            await socket.ConnectAsync(target, token);
            var stream = new NetworkStream(socket, ownsSocket: true);
            return clientTransport is null ? stream : clientTransport(stream);
        }, hash, PeerId.CreateOurs(), client ?? Quick);

        using var acceptTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Socket accepted;
        while (true)
        {
            var acceptance = listener.AcceptAsync(acceptTimeout.Token).AsTask();
            if (await Task.WhenAny(acceptance, dial) == dial && dial.IsFaulted) await dial;   // the dial failed: say why
            accepted = await acceptance;
            if (accepted.RemoteEndPoint is IPEndPoint { Port: var port } && ours.ContainsKey(port)) break;
            accepted.Dispose();
        }
        var answer = PeerConnection.AcceptAsync(accepted, [hash], PeerId.CreateOurs(), server ?? Quick);
        try
        {
            await Task.WhenAll(dial, answer);
        }
        catch
        {
            if (dial.IsCompletedSuccessfully) await dial.Result.DisposeAsync();
            if (answer.IsCompletedSuccessfully) await answer.Result.DisposeAsync();
            if (answer.Exception?.InnerException is WireException refused && dial.Exception?.InnerException is { } dialled)
                throw new WireException($"{refused.Message} (the client's side: {dialled.Message})", refused, refused.IsViolation);
            throw;
        }
        return (dial.Result, answer.Result);
    }

    /// <summary>Short timeouts, so a broken test fails in seconds rather than minutes.</summary>
    public static PeerConnectionOptions Quick { get; } = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HandshakeTimeout = TimeSpan.FromSeconds(5),
        IdleTimeout = TimeSpan.FromSeconds(10),
    };
}
