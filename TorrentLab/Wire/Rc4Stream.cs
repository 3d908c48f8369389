using System.Buffers;

namespace TorrentLab.Wire;

/// <summary>A byte stream with RC4 applied in each direction: what MSE/PE's ENCRYPT2() is when RC4 was selected.</summary>
/// <remarks>Reads decrypt in place in the caller's buffer (so the connection's zero-copy receive stays zero-copy; a
/// zero-byte read waits as the inner stream's does); writes encrypt into a scratch buffer rented for the write, since
/// the caller's bytes must not change. One reader and one writer at a time, which is how <see cref="PeerConnection"/>
/// uses its transport.</remarks>
internal sealed class Rc4Stream(Stream inner, Rc4 encrypt, Rc4 decrypt) : DuplexStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var read = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        decrypt.Apply(buffer.Span[..read]);
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(buffer.Length);
        encrypt.Apply(buffer.Span, scratch);
        await inner.WriteAsync(scratch.AsMemory(0, buffer.Length), ct).ConfigureAwait(false);
        ArrayPool<byte>.Shared.Return(scratch); // not after a failed write, which the inner stream might still read
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        decrypt.Apply(buffer.AsSpan(offset, read));
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(count);
        encrypt.Apply(buffer.AsSpan(offset, count), scratch);
        inner.Write(scratch, 0, count);
        ArrayPool<byte>.Shared.Return(scratch);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
