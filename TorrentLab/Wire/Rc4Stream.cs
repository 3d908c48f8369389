namespace TorrentLab.Wire;

/// <summary>A byte stream with RC4 applied in each direction: what MSE/PE's ENCRYPT2() is when RC4 was selected.</summary>
/// <remarks>Reads decrypt in place in the caller's buffer (so the connection's zero-copy receive stays zero-copy);
/// writes encrypt into a scratch buffer, since the caller's bytes must not change. One reader and one writer at a
/// time, which is how <see cref="PeerConnection"/> uses its transport.</remarks>
internal sealed class Rc4Stream(Stream inner, Rc4 encrypt, Rc4 decrypt) : DuplexStream
{
    private byte[] _scratch = [];

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var read = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        decrypt.Apply(buffer.Span[..read]);
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        if (_scratch.Length < buffer.Length) _scratch = GC.AllocateUninitializedArray<byte>(Math.Max(buffer.Length, 64 * 1024));
        encrypt.Apply(buffer.Span, _scratch);
        await inner.WriteAsync(_scratch.AsMemory(0, buffer.Length), ct).ConfigureAwait(false);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        decrypt.Apply(buffer.AsSpan(offset, read));
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (_scratch.Length < count) _scratch = GC.AllocateUninitializedArray<byte>(Math.Max(count, 64 * 1024));
        encrypt.Apply(buffer.AsSpan(offset, count), _scratch);
        inner.Write(_scratch, 0, count);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
