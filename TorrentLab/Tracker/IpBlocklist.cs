using System.Net;

namespace TorrentLab.Tracker;

/// <summary>What one load of a blocklist read.</summary>
/// <param name="Ranges">Ranges now held, overlapping and touching ones merged.</param>
/// <param name="Read">Ranges the lines gave, before merging.</param>
/// <param name="SkippedLines">Lines that were neither a range, a comment nor blank: counted, not fatal.</param>
/// <param name="FirstSkippedLine">The number (from 1) of the first skipped line, or 0 when none was.</param>
public sealed record BlocklistLoad(int Ranges, int Read, int SkippedLines, int FirstSkippedLine)
{
    /// <summary>One line for a log: how many ranges, and how many lines were skipped (where the first was).</summary>
    public override string ToString() =>
        $"{Ranges} ranges ({Read} read)" + (SkippedLines == 0 ? "" : $"; {SkippedLines} malformed lines skipped, the first is line {FirstSkippedLine}");
}

/// <summary>IP address ranges no peer connection may use (Transmission's blocklist, qBittorrent's IP filter): an
/// address inside one is never dialled, whichever source named it (trackers, the DHT, PEX, local discovery, a magnet
/// link's <c>x.pe</c>, the command line), and a connection from one is closed when it is accepted, before any handshake.
/// Read from the P2P text format (<c>name:1.2.3.0-1.2.3.255</c>), eMule's <c>.dat</c>
/// (<c>1.2.3.0 - 1.2.3.255 , 000 , name</c>) or CIDR lines, plain or gzip, IPv4 and IPv6.</summary>
/// <remarks>One list may be shared by a running session and replaced while it runs (<see cref="Load"/>,
/// <see cref="Clear"/>): the ranges are swapped whole, so a lookup sees the old list or the new one. The ranges are
/// held as sorted arrays of first and last addresses; a lookup is one binary search (bench/: <c>blocklist</c>).</remarks>
public sealed class IpBlocklist
{
    private IpRanges _ranges = IpRanges.Empty;

    /// <summary>Ranges held now (after merging); 0 before any load and after <see cref="Clear"/> (nothing is blocked).</summary>
    public int RangeCount => Volatile.Read(ref _ranges).Count;

    /// <summary>True when <paramref name="address"/> lies in a range (an IPv4-mapped IPv6 address as its IPv4 address).</summary>
    public bool Contains(IPAddress address) => Volatile.Read(ref _ranges).Contains(address);

    /// <summary>Reads a blocklist from <paramref name="data"/> (gzip or plain) and replaces the ranges held with it.
    /// Malformed lines are skipped and counted in the result; the ranges held stay as they were when it fails. At most
    /// 4,000,000 lines and 256 MiB of text after gzip are read (the largest public lists have about 800,000 lines, tens
    /// of MiB): past either, reading stops and the list is refused.</summary>
    /// <exception cref="BlocklistException">Not a blocklist: no line is a range (lines were read but none was one, or the
    /// list is empty: only blank lines and comments), the gzip is damaged, or the text passes a bound. To block nothing,
    /// <see cref="Clear"/>.</exception>
    /// <exception cref="IOException">Reading <paramref name="data"/> failed.</exception>
    public BlocklistLoad Load(Stream data)
    {
        ArgumentNullException.ThrowIfNull(data);
        BlocklistContent content;
        try
        {
            content = BlocklistReader.Read(data);
        }
        catch (InvalidDataException e)
        {
            throw new BlocklistException($"damaged gzip data: {e.Message}", e);
        }
        if (content.Read == 0 && content.Skipped > 0)
            throw new BlocklistException($"not a blocklist: none of its lines is an address range (P2P 'name:first-last', DAT 'first - last , level , name' or CIDR); the first is line {content.FirstSkipped}");
        // An empty list would be put in force as "0 ranges" and block nothing, which is not what was asked for when a
        // list was given: a truncated download, a wrong file or an emptied source. Turning the list off is the way to
        // block nothing.
        if (content.Read == 0)
            throw new BlocklistException(content.Lines == 0 ? "an empty blocklist: no line at all, so no range to block"
                : content.Allowed > 0 ? $"no range to block: its {content.Lines} lines are blank, comments, or eMule ranges whose access level allows them ({content.Allowed})"
                : $"an empty blocklist: its {content.Lines} lines are all blank or comments, so no range to block");
        Volatile.Write(ref _ranges, content.Ranges);
        return new BlocklistLoad(content.Ranges.Count, content.Read, content.Skipped, content.FirstSkipped);
    }

    /// <summary>Forgets every range: nothing is blocked.</summary>
    public void Clear() => Volatile.Write(ref _ranges, IpRanges.Empty);
}
