using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TorrentLab.Tracker;

internal static partial class UdpTrackerMessages
{
    /// <summary>Connect response, 16 bytes.</summary>
    //   <action 4 = 0><transaction_id 4><connection_id 8>
    public static byte[] ConnectResponse(int transactionId, long connectionId)
    {
        var packet = new byte[ConnectSize];
        WriteConnectResponse(packet, transactionId, connectionId);
        return packet;
    }

    /// <summary>Writes a connect response into <paramref name="packet"/> and returns its length, 16.</summary>
    public static int WriteConnectResponse(Span<byte> packet, int transactionId, long connectionId)
    {
        WriteHeader(packet, ActionConnect, transactionId);
        BinaryPrimitives.WriteInt64BigEndian(packet[8..], connectionId);
        return ConnectSize;
    }

    /// <summary>Announce response, 20 + 6n bytes over IPv4 or 20 + 18n over IPv6.</summary>
    //   <action 4 = 1><transaction_id 4><interval 4><leechers 4><seeders 4>(<ip 4 or 16><port 2>)*
    public static byte[] AnnounceResponse(int transactionId, int intervalSeconds, int leechers, int seeders,
        IEnumerable<IPEndPoint> peers, AddressFamily family)
    {
        var chosen = peers.ToList();
        var size = family == AddressFamily.InterNetworkV6 ? CompactPeers.IPv6Size : CompactPeers.IPv4Size;
        var packet = new byte[AnnounceResponseHeaderSize + chosen.Count(p => p.AddressFamily == family) * size];
        WriteAnnounceResponse(packet, transactionId, intervalSeconds, leechers, seeders, chosen, family);
        return packet;
    }

    /// <summary>Writes an announce response into <paramref name="packet"/> (the tracker's allocation-free path) and
    /// returns its length: the header, then as many of the <paramref name="peers"/> of <paramref name="family"/> as fit
    /// (the family the request came over; peers of the other family are skipped).</summary>
    public static int WriteAnnounceResponse(Span<byte> packet, int transactionId, int intervalSeconds, int leechers, int seeders,
        IReadOnlyList<IPEndPoint> peers, AddressFamily family)
    {
        WriteHeader(packet, ActionAnnounce, transactionId);
        BinaryPrimitives.WriteInt32BigEndian(packet[8..], intervalSeconds);
        BinaryPrimitives.WriteInt32BigEndian(packet[12..], leechers);
        BinaryPrimitives.WriteInt32BigEndian(packet[16..], seeders);
        var length = AnnounceResponseHeaderSize;
        var size = family == AddressFamily.InterNetworkV6 ? CompactPeers.IPv6Size : CompactPeers.IPv4Size;
        for (var i = 0; i < peers.Count; i++)
        {
            var peer = peers[i];
            if (peer.AddressFamily != family) continue;
            if (length + size > packet.Length) break;
            CompactPeers.WriteOne(peer, packet.Slice(length, size));
            length += size;
        }
        return length;
    }

    /// <summary>Scrape response, 8 + 12n bytes, in the order the hashes were asked.</summary>
    //   <action 4 = 2><transaction_id 4>(<seeders 4><completed 4><leechers 4>)*
    public static byte[] ScrapeResponse(int transactionId, IReadOnlyList<ScrapeResult> results)
    {
        var packet = new byte[8 + ScrapeEntrySize * results.Count];
        WriteHeader(packet, ActionScrape, transactionId);
        for (var i = 0; i < results.Count; i++)
        {
            var entry = packet.AsSpan(8 + i * ScrapeEntrySize);
            BinaryPrimitives.WriteInt32BigEndian(entry, results[i].Seeders);
            BinaryPrimitives.WriteInt32BigEndian(entry[4..], results[i].Completed);
            BinaryPrimitives.WriteInt32BigEndian(entry[8..], results[i].Leechers);
        }
        return packet;
    }

    /// <summary>Error response: the header then the message as text, no terminator.</summary>
    //   <action 4 = 3><transaction_id 4><message>
    public static byte[] ErrorResponse(int transactionId, string message)
    {
        var text = Encoding.UTF8.GetBytes(message);
        var packet = new byte[8 + text.Length];
        WriteHeader(packet, ActionError, transactionId);
        text.CopyTo(packet.AsSpan(8));
        return packet;
    }

    /// <summary>The connection id of a connect response.</summary>
    public static long ReadConnectResponse(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < ConnectSize) throw new TrackerException($"a connect response is {ConnectSize} bytes, got {packet.Length}");
        return BinaryPrimitives.ReadInt64BigEndian(packet[8..]);
    }

    /// <summary>Decodes an announce response; the peer size follows the address family the request went over.</summary>
    /// <remarks>BEP 15: IPv6 announces have the same structure "except that the stride size of &lt;IP address, TCP port&gt;
    /// pairs in the response is 18 bytes instead of 6".</remarks>
    public static AnnounceResponse ReadAnnounceResponse(ReadOnlySpan<byte> packet, AddressFamily family)
    {
        if (packet.Length < AnnounceResponseHeaderSize)
            throw new TrackerException($"an announce response has a {AnnounceResponseHeaderSize}-byte header, got {packet.Length} bytes");
        var interval = BinaryPrimitives.ReadInt32BigEndian(packet[8..]);
        var leechers = BinaryPrimitives.ReadInt32BigEndian(packet[12..]);
        var seeders = BinaryPrimitives.ReadInt32BigEndian(packet[16..]);
        if (interval < 0 || leechers < 0 || seeders < 0)
            throw new TrackerException($"negative interval or counts in the announce response ({interval}, {leechers}, {seeders})");
        var peers = CompactPeers.Decode(packet[AnnounceResponseHeaderSize..], family, "peers");
        return new AnnounceResponse(peers, TimeSpan.FromSeconds(interval), null, seeders, leechers, null, null);
    }

    /// <summary>Decodes a scrape response holding <paramref name="expected"/> entries.</summary>
    public static List<ScrapeResult> ReadScrapeResponse(ReadOnlySpan<byte> packet, int expected)
    {
        var body = packet[8..];
        if (body.Length != expected * ScrapeEntrySize)
            throw new TrackerException($"a scrape response for {expected} torrent(s) is {8 + expected * ScrapeEntrySize} bytes, got {packet.Length}");
        var results = new List<ScrapeResult>(expected);
        for (var offset = 0; offset < body.Length; offset += ScrapeEntrySize)
            results.Add(new ScrapeResult(
                Seeders: BinaryPrimitives.ReadInt32BigEndian(body[offset..]),
                Leechers: BinaryPrimitives.ReadInt32BigEndian(body[(offset + 8)..]),
                Completed: BinaryPrimitives.ReadInt32BigEndian(body[(offset + 4)..])));
        return results;
    }

    /// <summary>The message of an error response (invalid UTF-8 becomes U+FFFD).</summary>
    public static string ReadErrorMessage(ReadOnlySpan<byte> packet) =>
        UntrustedText.Clean(Encoding.UTF8.GetString(packet[8..Math.Min(packet.Length, 8 + 4096)]).TrimEnd('\0'));

    private static void WriteHeader(Span<byte> packet, int action, int transactionId)
    {
        BinaryPrimitives.WriteInt32BigEndian(packet, action);
        BinaryPrimitives.WriteInt32BigEndian(packet[4..], transactionId);
    }
}
