using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker;

/// <summary>What reading a blocklist found.</summary>
/// <param name="Ranges">The ranges, merged.</param>
/// <param name="Read">Ranges read from the lines, before merging.</param>
/// <param name="Skipped">Lines that were neither a range, a comment nor blank.</param>
/// <param name="FirstSkipped">The line number of the first skipped line (from 1), or 0 when none was.</param>
/// <param name="Lines">Lines in all.</param>
/// <param name="Allowed">eMule lines whose access level allows their range (read, not held).</param>
internal sealed record BlocklistContent(IpRanges Ranges, int Read, int Skipped, int FirstSkipped, int Lines, int Allowed);

/// <summary>Reads the blocklist formats of PeerGuardian and eMule, plain or gzip (told apart by gzip's magic bytes
/// <c>1f 8b</c>), line by line: a line that is none of them is counted and skipped, never fatal.</summary>
/// <remarks>
/// <code>
/// P2P (PeerGuardian, Transmission, qBittorrent .p2p):  name:first-last
///     Some organization:1.2.3.0-1.2.3.255            the name may hold ':'; an IPv4 range follows the last one
///     Other:2001:db8::-2001:db8::ffff                 an IPv6 range follows the first ':' (the name has none then)
/// DAT (eMule ipfilter.dat, qBittorrent .dat):          first - last , access level , name
///     001.002.003.000 - 001.002.003.255 , 000 , name  octets may be zero-padded (decimal, not octal); a level above
///                                                     127 allows the range (eMule's rule), so it is not read
/// CIDR (Transmission 4):                               1.2.3.0/24   2001:db8::/32
/// </code>
/// Blank lines and lines starting with '#' or "//" are comments. Every address in a range must be of one family.
/// <para>The text (after gzip) is bounded in bytes and in lines, checked as it is read: a small gzip can inflate to
/// gigabytes of blank lines, and reading stops as soon as a bound is passed.</para>
/// </remarks>
internal static class BlocklistReader
{
    /// <summary>A line longer than this is not a blocklist line (names are short); it is skipped whole.</summary>
    private const int MaxLine = 4096;

    /// <summary>More lines than any real list holds (the largest public ones have about 800,000; level1 about 250,000):
    /// a bound on time and on the ranges held (at most one per line), against a small gzip that inflates to endless
    /// lines.</summary>
    public const int MaxLines = 4_000_000;

    /// <summary>256 MiB of text, after gzip: the largest public lists are tens of MiB, and a text past this bound is a
    /// bomb, not a list (a gzip of blank lines inflates about a thousand times).</summary>
    public const long MaxTextBytes = 256L * 1024 * 1024;

    /// <summary>eMule's rule, which qBittorrent keeps: a range whose access level is above 127 is allowed, not blocked.</summary>
    private const int MaxBlockingLevel = 127;

    /// <summary>Reads every line of <paramref name="data"/> (gzip or plain).</summary>
    /// <exception cref="InvalidDataException">The data starts as gzip but is not valid gzip.</exception>
    /// <exception cref="BlocklistException">More than <see cref="MaxLines"/> lines or <see cref="MaxTextBytes"/> bytes of
    /// text (reading stops there).</exception>
    public static BlocklistContent Read(Stream data)
    {
        var input = new BufferedStream(data, 64 * 1024);
        Span<byte> magic = stackalloc byte[2];
        var peeked = PeekMagic(input, magic);
        Stream text = peeked && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(input, CompressionMode.Decompress, leaveOpen: true) : input;
        var builder = new IpRanges.Builder();
        int lineNumber = 0, skipped = 0, firstSkipped = 0, allowed = 0;
        foreach (var (line, tooLong) in Lines(text))
        {
            if (++lineNumber > MaxLines)
                throw new BlocklistException($"more than {MaxLines:N0} lines: not a blocklist TorrentLab reads (the largest public lists have about 800,000); reading stopped");
            var outcome = tooLong ? Outcome.Skipped : ReadLine(line.Span, builder);
            if (outcome == Outcome.Allowed) allowed++;
            if (outcome != Outcome.Skipped) continue;
            skipped++;
            if (firstSkipped == 0) firstSkipped = lineNumber;
        }
        return new BlocklistContent(builder.Build(), builder.Added, skipped, firstSkipped, lineNumber, allowed);
    }

    /// <summary>Reads the first two bytes and goes back: a buffered stream can seek within its buffer.</summary>
    private static bool PeekMagic(BufferedStream input, Span<byte> magic)
    {
        var got = input.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        if (got > 0) input.Seek(-got, SeekOrigin.Current);
        return got == 2;
    }

    /// <summary>Each line without its end (LF or CRLF); a line over <see cref="MaxLine"/> comes out empty and marked.</summary>
    /// <exception cref="BlocklistException">The text passed <see cref="MaxTextBytes"/>.</exception>
    private static IEnumerable<(ReadOnlyMemory<byte> Line, bool TooLong)> Lines(Stream text)
    {
        var buffer = new byte[64 * 1024];
        int start = 0, end = 0;
        long total = 0;
        var tooLong = false;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= 0)
            {
                var line = tooLong ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(buffer, start, newline - start);
                start = newline + 1;
                var wasTooLong = tooLong;
                tooLong = false;
                yield return (line, wasTooLong);
                continue;
            }
            if (end - start > MaxLine)
            {
                tooLong = true; // keep reading to its end, dropping what came so far
                start = end;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            var read = text.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > start || tooLong) yield return (tooLong ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(buffer, start, end - start), tooLong);
                yield break;
            }
            end += read;
            total += read;
            if (total > MaxTextBytes)
                throw new BlocklistException($"more than {MaxTextBytes / (1024 * 1024)} MiB of text (after gzip): not a blocklist TorrentLab reads (the largest public lists are tens of MiB); reading stopped");
        }
    }

    private enum Outcome { Range, Comment, Allowed, Skipped }

    /// <summary>Reads one line into <paramref name="builder"/>.</summary>
    private static Outcome ReadLine(ReadOnlySpan<byte> line, IpRanges.Builder builder)
    {
        line = line.Trim(" \t\r\v\f"u8);
        if (line.IsEmpty || line[0] == (byte)'#' || line.StartsWith("//"u8)) return Outcome.Comment;

        // DAT: the part before the first ',' is a range "first - last".
        var comma = line.IndexOf((byte)',');
        if (comma > 0 && TryRange(line[..comma], out var range))
        {
            var rest = line[(comma + 1)..];
            var level = rest.IndexOf((byte)',') is var next and >= 0 ? rest[..next] : rest;
            if (!TryNumber(level.Trim(" \t"u8), out var access)) return Outcome.Skipped;
            if (access > MaxBlockingLevel) return Outcome.Allowed;
            return Add(builder, range);
        }

        // CIDR, or a bare range.
        if (TryCidr(line, out range) || TryRange(line, out range)) return Add(builder, range);

        // P2P: an IPv4 range after the last ':', else an IPv6 range after the first.
        var lastColon = line.LastIndexOf((byte)':');
        if (lastColon >= 0)
        {
            if (TryRange(line[(lastColon + 1)..], out range) && range.V4) return Add(builder, range);
            var firstColon = line.IndexOf((byte)':');
            if (firstColon > 0 && TryRange(line[(firstColon + 1)..], out range) && !range.V4) return Add(builder, range);
        }
        return Outcome.Skipped;
    }

    private static Outcome Add(IpRanges.Builder builder, Range range)
    {
        if (range.V4) builder.Add((uint)range.First, (uint)range.Last);
        else builder.Add(range.First, range.Last);
        return Outcome.Range;
    }

    /// <summary>A range of one address family, first at most last.</summary>
    private readonly record struct Range(bool V4, UInt128 First, UInt128 Last);

    /// <summary>"first-last" or "first - last", both addresses of one family, first at most last.</summary>
    private static bool TryRange(ReadOnlySpan<byte> text, out Range range)
    {
        range = default;
        text = text.Trim(" \t"u8);
        // An IPv6 address holds no '-', so the first '-' separates.
        var dash = text.IndexOf((byte)'-');
        if (dash <= 0) return false;
        if (!TryAddress(text[..dash].Trim(" \t"u8), out var v4, out var first)) return false;
        if (!TryAddress(text[(dash + 1)..].Trim(" \t"u8), out var lastV4, out var last)) return false;
        if (v4 != lastV4 || first > last) return false;
        range = new Range(v4, first, last);
        return true;
    }

    /// <summary>"address/prefix": the block the prefix names.</summary>
    private static bool TryCidr(ReadOnlySpan<byte> text, out Range range)
    {
        range = default;
        var slash = text.IndexOf((byte)'/');
        if (slash <= 0 || !TryAddress(text[..slash], out var v4, out var address)) return false;
        if (!TryNumber(text[(slash + 1)..], out var prefix) || prefix > (v4 ? 32 : 128)) return false;
        var bits = v4 ? 32 : 128;
        var hostMask = prefix == 0 ? (v4 ? uint.MaxValue : UInt128.MaxValue) : ((UInt128)1 << (bits - prefix)) - 1;
        range = new Range(v4, address & ~hostMask & (v4 ? uint.MaxValue : UInt128.MaxValue), address | hostMask);
        return true;
    }

    /// <summary>An IPv4 address in dotted decimal (each part 1 to 3 digits, leading zeros allowed and decimal), or an
    /// IPv6 address without a zone; as a big-endian number.</summary>
    private static bool TryAddress(ReadOnlySpan<byte> text, out bool v4, out UInt128 value)
    {
        value = 0;
        v4 = text.IndexOf((byte)':') < 0;
        if (v4)
        {
            uint address = 0;
            for (var part = 0; part < 4; part++)
            {
                var dot = part < 3 ? text.IndexOf((byte)'.') : text.Length;
                if (dot < 0) return false;
                if (dot is 0 or > 3 || !TryNumber(text[..dot], out var octet) || octet > 255) return false;
                address = (address << 8) | (uint)octet;
                text = part < 3 ? text[(dot + 1)..] : [];
            }
            value = address;
            return true;
        }
        if (text.Length > 45) return false; // the longest IPv6 text form
        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is (byte)'%' or > 0x7f) return false;
            chars[i] = (char)text[i];
        }
        if (!IPAddress.TryParse(chars, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6) return false;
        Span<byte> bytes = stackalloc byte[16];
        parsed.TryWriteBytes(bytes, out _);
        value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return true;
    }

    /// <summary>Decimal digits only, at most 9 of them.</summary>
    private static bool TryNumber(ReadOnlySpan<byte> text, out int number)
    {
        number = 0;
        if (text.IsEmpty || text.Length > 9) return false;
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            number = number * 10 + (c - '0');
        }
        return true;
    }
}
