namespace TorrentLab.Wire;

/// <summary>What a peer message is: the BEP 3 message ids, BEP 6's fast extension, BEP 10's extended message, BEP 52's hash messages, keep-alive (no id) and ids we do not speak.</summary>
/// <remarks>The numeric values of <see cref="Choke"/> to <see cref="HashReject"/> are the ids on the wire.</remarks>
public enum MessageKind
{
    /// <summary>A zero length prefix and nothing else (BEP 3: "Messages of length zero are keepalives").</summary>
    KeepAlive = -1,
    Choke = 0,          // BEP 3: no payload
    Unchoke = 1,        // BEP 3: no payload
    Interested = 2,     // BEP 3: no payload
    NotInterested = 3,  // BEP 3: no payload
    Have = 4,           // BEP 3: <index>
    Bitfield = 5,       // BEP 3: <bitfield>
    Request = 6,        // BEP 3: <index><begin><length>
    Piece = 7,          // BEP 3: <index><begin><block>
    Cancel = 8,         // BEP 3: <index><begin><length>
    Port = 9,           // BEP 5: <listen-port 2>, the DHT port; parsed and ignored (we run no DHT)
    Suggest = 13,       // BEP 6: <index>, "suggest piece": a hint, accepted and ignored
    HaveAll = 14,       // BEP 6: no payload, in place of a full bitfield
    HaveNone = 15,      // BEP 6: no payload, in place of an empty bitfield
    Reject = 16,        // BEP 6: <index><begin><length>, "reject request": that request will not be served
    AllowedFast = 17,   // BEP 6: <index>, a piece the sender serves even while it chokes us
    Extended = 20,      // BEP 10: <extended id 1><payload>, routed by TorrentLab.Extensions
    HashRequest = 21,   // BEP 52: <pieces root 32><base layer 4><index 4><length 4><proof layers 4> (HashMessages)
    Hashes = 22,        // BEP 52: the same 48 bytes, then the hashes
    HashReject = 23,    // BEP 52: the 48 bytes of the request refused

    /// <summary>Any other id (an extension we do not speak); skipped by its length.</summary>
    Unknown = 256,
}
