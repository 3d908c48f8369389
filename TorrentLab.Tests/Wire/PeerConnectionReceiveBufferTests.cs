using System.Net;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary><c>Wire/PeerConnection.Receive.cs</c>: the receive buffer starts at 32 KiB after the handshake and grows
/// (to 256 KiB) only when bytes come faster than they are parsed, not because a slow peer's block straddles its end.
/// The peer is a scripted stream that hands over at most a fixed number of bytes per read, as a kernel does with what
/// has arrived.</summary>
public class PeerConnectionReceiveBufferTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int Blocks = 64;

    [Fact]
    public async Task ASlowPeerSendingOneBlockPerRead_KeepsTheFirstBufferOf32KiB()
    {
        await using var connection = await ConnectAsync(perRead: WireLimits.BlockLength);

        await ReceiveBlocksAsync(connection);

        Assert.Equal(32 * 1024, connection.ReceiveBufferCapacity);
    }

    [Fact]
    public async Task APeerWhoseBytesWaitUnread_GrowsTheBufferTo256KiB()
    {
        await using var connection = await ConnectAsync(perRead: int.MaxValue);

        await ReceiveBlocksAsync(connection);

        Assert.Equal(256 * 1024, connection.ReceiveBufferCapacity);
    }

    private static async Task ReceiveBlocksAsync(PeerConnection connection)
    {
        for (var i = 0; i < Blocks; i++)
        {
            var message = await connection.ReceiveAsync(Ct);
            Assert.Equal(MessageKind.Piece, message.Kind);
        }
    }

    /// <summary>Our connection to a peer that answers the handshake and sends <see cref="Blocks"/> blocks of 16 KiB,
    /// at most <paramref name="perRead"/> bytes per read.</summary>
    private static Task<PeerConnection> ConnectAsync(int perRead)
    {
        var hash = TestDownloader.OtherHash;
        var script = new MemoryStream();
        script.Write(new Handshake(hash, PeerId.CreateOurs()).ToBytes());
        var block = new byte[WireLimits.BlockLength];
        for (var i = 0; i < Blocks; i++) script.Write(MessageWriter.ToBytes(PeerMessage.Piece(i, 0, block)));
        var peer = new ScriptedStream(script.ToArray(), perRead);
        var options = TestDownloader.Quick with { PieceCount = Blocks, Encryption = EncryptionPolicy.Off };
        return PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 6881), _ => Task.FromResult<Stream>(peer), hash,
            PeerId.CreateOurs(), options, Ct);
    }

    /// <summary>Reads hand over the script, at most <c>perRead</c> bytes at a time; writes are taken and dropped.</summary>
    private sealed class ScriptedStream(byte[] script, int perRead) : Stream
    {
        private int _position;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = Math.Min(Math.Min(buffer.Length, perRead), script.Length - _position);
            script.AsSpan(_position, n).CopyTo(buffer.Span);
            _position += n;
            return ValueTask.FromResult(n);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default) => ValueTask.CompletedTask;
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.CompletedTask;
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().Result;
        public override void Write(byte[] buffer, int offset, int count) { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
