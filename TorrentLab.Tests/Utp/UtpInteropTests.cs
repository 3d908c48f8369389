using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Utp;

/// <summary>Our uTP transport against python3-libtorrent speaking only uTP, on 127.0.0.1; the peer wire on top is
/// driven by hand with the Wire encoders and decoders (the engine does not use uTP yet).</summary>
[Trait("Tier", "Slow")]
public class UtpInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConnectToLibtorrentUtpOnlySeeder_HandshakeAndDownloadEveryPiece_MatchesTheirSha1()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-utp-interop");
        var built = TestTorrents.SingleFile(length: (1 << 20) + 12345, pieceLength: 64 * 1024, announce: null, seed: 29);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        using var seeder = await LibtorrentUtpPeer.StartSeederAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);
        await using var socket = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;

        await using var stream = await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), ct);
        var torrent = built.Torrent;
        await stream.WriteAsync(new Handshake(torrent.InfoHash, PeerId.CreateOurs()).ToBytes(), ct);
        var theirs = await ReadHandshake(stream, ct);
        Assert.Equal(torrent.InfoHash, theirs.InfoHash);
        Assert.StartsWith("-LT", System.Text.Encoding.ASCII.GetString(theirs.PeerId.Bytes[..3]));

        await Send(stream, PeerMessage.Interested, ct);
        while ((await Next(stream, torrent.PieceCount, ct)).Kind != MessageKind.Unchoke) { }   // bitfield first, then unchoke
        var requests = new List<(int Index, int Begin, int Length)>();
        for (var index = 0; index < torrent.PieceCount; index++)
            for (var begin = 0; begin < torrent.GetPieceLength(index); begin += WireLimits.BlockLength)
                requests.Add((index, begin, Math.Min(WireLimits.BlockLength, torrent.GetPieceLength(index) - begin)));
        foreach (var (index, begin, length) in requests) await Send(stream, PeerMessage.Request(index, begin, length), ct);

        var pieces = Enumerable.Range(0, torrent.PieceCount).Select(i => new byte[torrent.GetPieceLength(i)]).ToArray();
        for (var received = 0; received < requests.Count;)
        {
            var message = await Next(stream, torrent.PieceCount, ct);
            if (message.Kind != MessageKind.Piece) continue;
            message.Payload.Span.CopyTo(pieces[message.Index].AsSpan(message.Begin));
            received++;
        }

        for (var index = 0; index < torrent.PieceCount; index++)
            Assert.True(SHA1.HashData(pieces[index]).AsSpan().SequenceEqual(torrent.GetPieceHash(index)), $"piece {index} fails its SHA-1");
        Assert.Equal(built.Payload, pieces.SelectMany(p => p).ToArray());
    }

    [Fact]
    public async Task LibtorrentUtpOnlyDownloaderDialsOurListener_HandshakeThenItDownloadsEverythingFromUs()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-utp-interop");
        var built = TestTorrents.SingleFile(length: 512 * 1024 + 777, pieceLength: 32 * 1024, announce: null, seed: 30);
        var torrent = built.Torrent;
        var torrentPath = built.WriteTorrent(folder.Path);
        await using var socket = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        using var downloader = LibtorrentUtpPeer.StartDownloader(python, torrentPath, folder.Combine("down"), folder.Path, socket.LocalEndPoint.Port);

        await using var stream = await socket.AcceptAsync(ct);
        var theirs = await ReadHandshake(stream, ct);
        Assert.Equal(torrent.InfoHash, theirs.InfoHash);
        Assert.StartsWith("-LT", System.Text.Encoding.ASCII.GetString(theirs.PeerId.Bytes[..3]));
        await stream.WriteAsync(new Handshake(torrent.InfoHash, PeerId.CreateOurs()).ToBytes(), ct);
        await Send(stream, PeerMessage.BitfieldOf(Bitfield.Full(torrent.PieceCount)), ct);

        var serving = Serve(stream, built, ct);
        var line = await downloader.ReadLineAsync(TimeSpan.FromSeconds(80), ct);

        // TCP is off in libtorrent both ways and our end is a UDP socket, so the download can only have run over uTP
        // (over_utp=1 when its peer list was polled while we were connected: a fast download can finish in between).
        Assert.True(line is not null && line.StartsWith("finished", StringComparison.Ordinal), $"libtorrent said: {line} {downloader.Errors()}");
        Assert.True(await downloader.ExitedAsync(TimeSpan.FromSeconds(30), ct), "libtorrent did not exit after it finished");
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("down", "payload.bin")));
        Assert.True(await serving > 0);
    }

    /// <summary>Answers interested with unchoke and each request with its block, until the peer leaves; returns the
    /// blocks served.</summary>
    private static async Task<int> Serve(Stream stream, TestTorrents.Built built, CancellationToken ct)
    {
        var served = 0;
        try
        {
            while (true)
            {
                var message = await Next(stream, built.Torrent.PieceCount, ct);
                switch (message.Kind)
                {
                    case MessageKind.Interested:
                        await Send(stream, PeerMessage.Unchoke, ct);
                        break;
                    case MessageKind.Request:
                        var offset = (long)message.Index * built.Torrent.PieceLength + message.Begin;
                        await Send(stream, PeerMessage.Piece(message.Index, message.Begin, built.Payload.AsMemory((int)offset, message.Length)), ct);
                        served++;
                        break;
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException) { return served; }
    }

    private static async Task<Handshake> ReadHandshake(Stream stream, CancellationToken ct)
    {
        var bytes = new byte[Handshake.Length];
        await stream.ReadExactlyAsync(bytes, ct);
        Assert.True(Handshake.TryRead(bytes, out var handshake));
        return handshake;
    }

    private static async Task Send(Stream stream, PeerMessage message, CancellationToken ct) =>
        await stream.WriteAsync(MessageWriter.ToBytes(message), ct);

    /// <summary>Reads one length-prefixed message and decodes it with the Wire reader.</summary>
    private static async Task<PeerMessage> Next(Stream stream, int pieceCount, CancellationToken ct)
    {
        var prefix = new byte[WireLimits.LengthPrefix];
        await stream.ReadExactlyAsync(prefix, ct);
        var length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        Assert.InRange(length, 0, WireLimits.MaxMessageLength);
        var frame = new byte[WireLimits.LengthPrefix + length];
        prefix.CopyTo(frame, 0);
        await stream.ReadExactlyAsync(frame.AsMemory(WireLimits.LengthPrefix), ct);
        Assert.True(MessageReader.TryRead(frame, pieceCount, WireLimits.BlockLength, out var message, out _));
        return message;
    }
}
