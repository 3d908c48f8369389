using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace TorrentLab.Simulation;

/// <summary>What happened in a simulation, in order: every datagram sent, dropped (and why) and delivered, every TCP
/// connection opened, refused and closed, every block of bytes a TCP connection delivered, and every line the hosts'
/// engines logged, each at its simulated time. Kept as a running SHA-256 (two runs with one seed must give the same
/// digest, byte for byte) and the last lines as text, to print when a run fails.</summary>
internal sealed class EventLog : IDisposable
{
    private readonly SimClock _clock;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Event[] _tail;
    private readonly TextWriter? _file;
    private readonly byte[] _pending = new byte[4096];
    private int _pendingLength;
    private long _count;

    /// <param name="clock">The simulation's clock, whose time each event carries.</param>
    /// <param name="tail">How many of the last events to keep as text.</param>
    /// <param name="file">Where to write every event as a line, or null (a long run writes millions).</param>
    public EventLog(SimClock clock, int tail = 400, TextWriter? file = null)
    {
        _clock = clock;
        _tail = new Event[tail];
        _file = file;
    }

    /// <summary>Events so far.</summary>
    public long Count => _count;

    /// <summary>The kinds of event, as they appear in the text.</summary>
    public enum Kind : byte { Sent, Dropped, Delivered, Connect, Accepted, Refused, Closed, Reset, Bytes, Line, Host }

    private readonly record struct Event(long Time, Kind Kind, IPEndPoint? From, IPEndPoint? To, long Length, string? Text);

    /// <summary>A datagram or TCP event between two endpoints.</summary>
    public void Add(Kind kind, IPEndPoint? from, IPEndPoint? to, long length, string? why = null)
    {
        var record = Reserve(37);
        record.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(record, _clock.NowTicks);
        record[8] = (byte)kind;
        Write(record[9..], from);
        Write(record[19..], to);
        BinaryPrimitives.WriteInt64LittleEndian(record[29..], length);
        if (why is not null) Hash(Encoding.UTF8.GetBytes(why));
        Keep(new Event(_clock.NowTicks, kind, from, to, length, why));
    }

    private (string Path, string Name)? _folder;

    /// <summary>Lines name <paramref name="path"/> (a run's own folder, different in each process) as
    /// <paramref name="name"/>, so two runs log the same text.</summary>
    public void Redact(string path, string name) => _folder = (path, name);

    /// <summary>A line of text from a host (its engine's log, or the scenario's own).</summary>
    public void Line(string host, string text)
    {
        if (_folder is { } folder) text = text.Replace(folder.Path, folder.Name, StringComparison.Ordinal);
        var line = $"{host}: {text}";
        var head = Reserve(9);
        BinaryPrimitives.WriteInt64LittleEndian(head, _clock.NowTicks);
        head[8] = (byte)Kind.Line;
        Hash(Encoding.UTF8.GetBytes(line));
        Keep(new Event(_clock.NowTicks, Kind.Line, null, null, 0, line));
    }

    /// <summary>The next <paramref name="length"/> bytes to hash, in the buffer that goes to the hash when full: the
    /// digest of the same bytes, in a call to the hash every few hundred events instead of one or two each (millions
    /// in a run of 1,000 peers).</summary>
    private Span<byte> Reserve(int length)
    {
        if (_pendingLength + length > _pending.Length) Flush();
        var span = _pending.AsSpan(_pendingLength, length);
        _pendingLength += length;
        return span;
    }

    private void Hash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _pending.Length / 4)
        {
            Flush();
            _hash.AppendData(bytes);
            return;
        }
        bytes.CopyTo(Reserve(bytes.Length));
    }

    private void Flush()
    {
        _hash.AppendData(_pending.AsSpan(0, _pendingLength));
        _pendingLength = 0;
    }

    private static void Write(Span<byte> into, IPEndPoint? endpoint)
    {
        if (endpoint is null) return;
        endpoint.Address.TryWriteBytes(into[..4], out _);
        BinaryPrimitives.WriteUInt16LittleEndian(into[8..], (ushort)endpoint.Port);
    }

    private void Keep(Event e)
    {
        _tail[_count % _tail.Length] = e;
        _count++;
        _file?.WriteLine(Format(e));
    }

    private static string Format(Event e)
    {
        var time = TimeSpan.FromTicks(e.Time).TotalSeconds.ToString("0.0000000", System.Globalization.CultureInfo.InvariantCulture);
        return e.Kind == Kind.Line
            ? $"{time} {e.Text}"
            : $"{time} {e.Kind.ToString().ToLowerInvariant()} {e.From?.ToString() ?? "-"} > {e.To?.ToString() ?? "-"} {e.Length}{(e.Text is null ? "" : " " + e.Text)}";
    }

    /// <summary>The digest of every event so far, in hex.</summary>
    public string Digest()
    {
        Flush();
        return Convert.ToHexStringLower(_hash.GetCurrentHash());
    }

    /// <summary>The last events kept, oldest first, one line each.</summary>
    public IEnumerable<string> Tail()
    {
        var kept = (int)Math.Min(_count, _tail.Length);
        for (var i = 0; i < kept; i++) yield return Format(_tail[(_count - kept + i) % _tail.Length]);
    }

    public void Dispose()
    {
        _file?.Flush();
        _hash.Dispose();
    }
}
