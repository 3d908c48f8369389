using System.Buffers.Binary;

namespace TorrentLab.Tracker;

/// <summary>The BEP 15 datagrams, byte for byte: requests (client to tracker) and responses (tracker to client).</summary>
/// <remarks>BEP 15: "All values are send in network byte order (big endian)." Requests are in
/// <c>UdpTrackerMessages.Requests.cs</c>, responses in <c>UdpTrackerMessages.Responses.cs</c>.</remarks>
internal static partial class UdpTrackerMessages
{
    /// <summary>BEP 15: the magic constant a connect request starts with.</summary>
    public const long ProtocolId = 0x41727101980;

    // BEP 15 actions.
    public const int ActionConnect = 0;
    public const int ActionAnnounce = 1;
    public const int ActionScrape = 2;
    public const int ActionError = 3;

    public const int ConnectSize = 16;
    public const int AnnounceRequestSize = 98;
    public const int AnnounceResponseHeaderSize = 20;
    public const int ScrapeEntrySize = 12;

    // BEP 15 scrape: "Up to about 74 torrents can be scraped at once." (a full response must fit one datagram)
    public const int MaxScrapeHashes = 74;

    /// <summary>BEP 15 event numbers: "0: none; 1: completed; 2: started; 3: stopped" (not the order of our enum).</summary>
    public static int EventNumber(AnnounceEvent value) => value switch
    {
        AnnounceEvent.Completed => 1,
        AnnounceEvent.Started => 2,
        AnnounceEvent.Stopped => 3,
        _ => 0,
    };

    /// <summary>The event of a BEP 15 number, or null for a number the BEP does not define.</summary>
    public static AnnounceEvent? EventFromNumber(int number) => number switch
    {
        0 => AnnounceEvent.None,
        1 => AnnounceEvent.Completed,
        2 => AnnounceEvent.Started,
        3 => AnnounceEvent.Stopped,
        _ => null,
    };

    /// <summary>Reads the action and transaction id every response starts with; false when fewer than 8 bytes.</summary>
    //   <action 4><transaction_id 4>...
    public static bool TryReadResponseHeader(ReadOnlySpan<byte> datagram, out int action, out int transactionId)
    {
        action = transactionId = 0;
        if (datagram.Length < 8) return false;
        action = BinaryPrimitives.ReadInt32BigEndian(datagram);
        transactionId = BinaryPrimitives.ReadInt32BigEndian(datagram[4..]);
        return true;
    }

    /// <summary>Reads the connection id (or protocol id), action and transaction id every request starts with.</summary>
    //   <connection_id 8><action 4><transaction_id 4>...
    public static bool TryReadRequestHeader(ReadOnlySpan<byte> datagram, out long connectionId, out int action, out int transactionId)
    {
        connectionId = action = transactionId = 0;
        if (datagram.Length < 16) return false;
        connectionId = BinaryPrimitives.ReadInt64BigEndian(datagram);
        action = BinaryPrimitives.ReadInt32BigEndian(datagram[8..]);
        transactionId = BinaryPrimitives.ReadInt32BigEndian(datagram[12..]);
        return true;
    }
}
