using Microsoft.Win32.SafeHandles;

namespace TorrentLab.Creation;

/// <summary>Reads the concatenation of a torrent's files front to back, the byte stream that pieces are cut from (BEP 3).</summary>
internal abstract class PayloadReader : IDisposable
{
    /// <summary>Fills <paramref name="buffer"/> completely unless the stream ends first; returns the bytes read.</summary>
    public abstract int Read(Span<byte> buffer);

    public virtual void Dispose() { }

    /// <summary>A reader of <paramref name="files"/> in order: from memory when they carry their data, else from disk.</summary>
    public static PayloadReader For(IReadOnlyList<PayloadFile> files) =>
        files.All(f => f.Data is not null || f.IsPad)
            ? new MemoryPayloadReader([.. files.Select(f => f.IsPad ? new byte[f.Length] : f.Data!.Value)])
            : new FilePayloadReader(files);
}

/// <summary>Reads files one after another through <see cref="RandomAccess"/>, each opened only while it is read.</summary>
internal sealed class FilePayloadReader(IReadOnlyList<PayloadFile> files) : PayloadReader
{
    private int _index;
    private long _offset;
    private SafeFileHandle? _handle;

    public override int Read(Span<byte> buffer)
    {
        var filled = 0;
        while (filled < buffer.Length && _index < files.Count)
        {
            var file = files[_index];
            if (_offset == file.Length)
            {
                NextFile();
                continue;
            }
            if (file.IsPad)
            {
                // BEP 47: a pad file is zeros that exist only in the piece stream.
                var zeros = (int)Math.Min(file.Length - _offset, buffer.Length - filled);
                buffer.Slice(filled, zeros).Clear();
                filled += zeros;
                _offset += zeros;
                continue;
            }
            // Empty files are never opened; a file is opened for sequential reading only while its bytes are needed.
            _handle ??= File.OpenHandle(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var wanted = (int)Math.Min(file.Length - _offset, buffer.Length - filled);
            var read = RandomAccess.Read(_handle, buffer.Slice(filled, wanted), _offset);
            if (read == 0)
                throw new CreationException($"became shorter while it was hashed: {file.Length} bytes when scanned, ends at {_offset}", file.FullPath);
            filled += read;
            _offset += read;
        }
        return filled;
    }

    private void NextFile()
    {
        _handle?.Dispose();
        _handle = null;
        _index++;
        _offset = 0;
    }

    public override void Dispose() => _handle?.Dispose();
}

/// <summary>Reads in-memory file contents one after another (generated payloads for the lab and tests).</summary>
internal sealed class MemoryPayloadReader(IReadOnlyList<ReadOnlyMemory<byte>> contents) : PayloadReader
{
    private int _index;
    private int _offset;

    public override int Read(Span<byte> buffer)
    {
        var filled = 0;
        while (filled < buffer.Length && _index < contents.Count)
        {
            var rest = contents[_index].Span[_offset..];
            if (rest.IsEmpty)
            {
                _index++;
                _offset = 0;
                continue;
            }
            var count = Math.Min(rest.Length, buffer.Length - filled);
            rest[..count].CopyTo(buffer[filled..]);
            filled += count;
            _offset += count;
        }
        return filled;
    }
}
