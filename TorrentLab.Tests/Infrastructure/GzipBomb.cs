using System.IO.Compression;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A small gzip that inflates to gigabytes: one gzip member of a mebibyte of one byte, repeated (a reader of
/// gzip reads concatenated members as one text, RFC 1952 2.2). Made as a stream, never held whole, either side.</summary>
public sealed class GzipBomb
{
    private const int MemberText = 1024 * 1024;

    private readonly byte[] _member;

    /// <summary>A bomb of <paramref name="mebibytes"/> MiB of <paramref name="fill"/> once inflated.</summary>
    public GzipBomb(byte fill, int mebibytes)
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(Enumerable.Repeat(fill, MemberText).ToArray());
        _member = packed.ToArray();
        Members = mebibytes;
    }

    /// <summary>How many members: the inflated text is this many MiB.</summary>
    public int Members { get; }

    /// <summary>The bomb's own size in bytes.</summary>
    public long Length => (long)_member.Length * Members;

    /// <summary>The inflated text's size in bytes.</summary>
    public long TextLength => (long)MemberText * Members;

    /// <summary>A fresh stream of the bomb; its <see cref="Stream.Position"/> says how far a reader went.</summary>
    public Stream Open() => new Repeating(_member, Members);

    /// <summary>The bomb as a file at <paramref name="path"/>.</summary>
    public void WriteTo(string path)
    {
        using var file = File.Create(path);
        for (var i = 0; i < Members; i++) file.Write(_member);
    }

    /// <summary>The bomb's bytes (a few MiB at most for the sizes tests use).</summary>
    public byte[] ToArray()
    {
        using var all = new MemoryStream();
        using (var bomb = Open()) bomb.CopyTo(all);
        return all.ToArray();
    }

    /// <summary>A read-only stream of one block repeated (seekable, as a file is: the blocklist reader peeks at the
    /// gzip magic and goes back).</summary>
    private sealed class Repeating(byte[] block, int times) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => (long)block.Length * times;

        public override long Position
        {
            get => _position;
            set => _position = Math.Clamp(value, 0, Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= Length) return 0;
            var inBlock = (int)(_position % block.Length);
            var n = Math.Min(buffer.Length, block.Length - inBlock);
            block.AsSpan(inBlock, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) =>
            Position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => Length + offset };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
