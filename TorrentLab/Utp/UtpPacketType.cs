namespace TorrentLab.Utp;

/// <summary>The five packet types of BEP 29, as the high nibble of a packet's first byte.</summary>
internal enum UtpPacketType : byte
{
    /// <summary>ST_DATA: a payload; the only type that always carries bytes.</summary>
    Data = 0,

    /// <summary>ST_FIN: the sender's last sequence number; nothing follows it.</summary>
    Fin = 1,

    /// <summary>ST_STATE: an acknowledgement without payload; it does not consume a sequence number.</summary>
    State = 2,

    /// <summary>ST_RESET: the connection is gone; stop at once.</summary>
    Reset = 3,

    /// <summary>ST_SYN: opens a connection.</summary>
    Syn = 4,
}
