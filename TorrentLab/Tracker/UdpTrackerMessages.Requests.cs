using System.Buffers.Binary;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker;

/// <summary>A decoded BEP 15 announce request, as the tracker sees it.</summary>
internal sealed record UdpAnnounceRequest(long ConnectionId, int TransactionId, InfoHash InfoHash, PeerId PeerId,
    long Downloaded, long Left, long Uploaded, AnnounceEvent Event, uint Ip, uint Key, int NumWant, ushort Port);

internal static partial class UdpTrackerMessages
{
    /// <summary>Connect request, 16 bytes.</summary>
    //   <protocol_id 8 = 0x41727101980><action 4 = 0><transaction_id 4>
    public static byte[] ConnectRequest(int transactionId)
    {
        var packet = new byte[ConnectSize];
        BinaryPrimitives.WriteInt64BigEndian(packet, ProtocolId);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), ActionConnect);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), transactionId);
        return packet;
    }

    /// <summary>Announce request, 98 bytes.</summary>
    //   <connection_id 8><action 4 = 1><transaction_id 4><info_hash 20><peer_id 20><downloaded 8><left 8><uploaded 8>
    //   <event 4><ip 4 = 0: the sender's address><key 4><num_want 4 = -1: default><port 2>
    public static byte[] AnnounceRequest(long connectionId, int transactionId, AnnounceRequest request)
    {
        var packet = new byte[AnnounceRequestSize];
        var span = packet.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], ActionAnnounce);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], transactionId);
        request.InfoHash.Bytes.CopyTo(span[16..]);
        request.PeerId.Bytes.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt64BigEndian(span[56..], request.Downloaded);
        BinaryPrimitives.WriteInt64BigEndian(span[64..], request.Left);
        BinaryPrimitives.WriteInt64BigEndian(span[72..], request.Uploaded);
        BinaryPrimitives.WriteInt32BigEndian(span[80..], EventNumber(request.Event));
        BinaryPrimitives.WriteUInt32BigEndian(span[84..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(span[88..], request.Key);
        BinaryPrimitives.WriteInt32BigEndian(span[92..], request.NumWant > 0 ? request.NumWant : -1);
        BinaryPrimitives.WriteUInt16BigEndian(span[96..], (ushort)request.Port);
        return packet;
    }

    /// <summary>Scrape request, 16 + 20n bytes.</summary>
    //   <connection_id 8><action 4 = 2><transaction_id 4>(<info_hash 20>)*
    public static byte[] ScrapeRequest(long connectionId, int transactionId, IReadOnlyList<InfoHash> infoHashes)
    {
        var packet = new byte[16 + InfoHash.Length * infoHashes.Count];
        BinaryPrimitives.WriteInt64BigEndian(packet, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), ActionScrape);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), transactionId);
        for (var i = 0; i < infoHashes.Count; i++) infoHashes[i].Bytes.CopyTo(packet.AsSpan(16 + i * InfoHash.Length));
        return packet;
    }

    /// <summary>Decodes an announce request (tracker side).</summary>
    /// <exception cref="TrackerException">Shorter than 98 bytes or an undefined event number.</exception>
    public static UdpAnnounceRequest ReadAnnounceRequest(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < AnnounceRequestSize)
            throw new TrackerException($"an announce request is {AnnounceRequestSize} bytes, got {packet.Length}");
        var eventNumber = BinaryPrimitives.ReadInt32BigEndian(packet[80..]);
        var evt = EventFromNumber(eventNumber) ?? throw new TrackerException($"event must be 0-3, got {eventNumber}");
        return new UdpAnnounceRequest(
            BinaryPrimitives.ReadInt64BigEndian(packet),
            BinaryPrimitives.ReadInt32BigEndian(packet[12..]),
            new InfoHash(packet.Slice(16, InfoHash.Length)),
            new PeerId(packet.Slice(36, PeerId.Length)),
            BinaryPrimitives.ReadInt64BigEndian(packet[56..]),
            BinaryPrimitives.ReadInt64BigEndian(packet[64..]),
            BinaryPrimitives.ReadInt64BigEndian(packet[72..]),
            evt,
            BinaryPrimitives.ReadUInt32BigEndian(packet[84..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[88..]),
            BinaryPrimitives.ReadInt32BigEndian(packet[92..]),
            BinaryPrimitives.ReadUInt16BigEndian(packet[96..]));
    }

    /// <summary>Decodes the info hashes of a scrape request (tracker side).</summary>
    /// <exception cref="TrackerException">No hash, too many, or a length that is not 16 + 20n.</exception>
    public static List<InfoHash> ReadScrapeRequest(ReadOnlySpan<byte> packet)
    {
        var body = packet[16..];
        if (body.Length == 0 || body.Length % InfoHash.Length != 0)
            throw new TrackerException($"a scrape request carries 20-byte info hashes after 16 bytes, got {body.Length} bytes");
        if (body.Length / InfoHash.Length > MaxScrapeHashes)
            throw new TrackerException($"at most {MaxScrapeHashes} info hashes per scrape, got {body.Length / InfoHash.Length}");
        var hashes = new List<InfoHash>(body.Length / InfoHash.Length);
        for (var offset = 0; offset < body.Length; offset += InfoHash.Length) hashes.Add(new InfoHash(body.Slice(offset, InfoHash.Length)));
        return hashes;
    }
}
