namespace TorrentLab.Extensions;

/// <summary>The extension names TorrentLab speaks and the message ids it chose for them (BEP 10).</summary>
/// <remarks>BEP 10: "The extension message IDs are the IDs used to send the extension messages to the peer sending
/// this handshake", i.e. each side picks its own ids. A peer sends to us with these ids; we send to a peer with the
/// ids from its handshake. Ours differ from libtorrent's (ut_metadata 2, ut_pex 1), so a test mixing them up fails.</remarks>
internal static class ExtensionIds
{
    /// <summary>BEP 10: extended message id 0 is the extension handshake.</summary>
    public const byte Handshake = 0;

    /// <summary>BEP 9 metadata exchange.</summary>
    public const string UtMetadataName = "ut_metadata";

    /// <summary>BEP 11 peer exchange.</summary>
    public const string UtPexName = "ut_pex";

    /// <summary>BEP 54: the sender no longer has a piece it announced (a read of it failed).</summary>
    public const string LtDonthaveName = "lt_donthave";

    /// <summary>BEP 55: a peer relays an introduction so that two peers behind NATs can dial each other at once.</summary>
    public const string UtHolepunchName = "ut_holepunch";

    /// <summary>Our id for ut_metadata: peers send metadata requests and data to us with it.</summary>
    public const byte UtMetadata = 3;

    /// <summary>Our id for ut_pex: peers send PEX messages to us with it.</summary>
    public const byte UtPex = 4;

    /// <summary>Our id for lt_donthave: peers tell us with it which piece they lost.</summary>
    public const byte LtDonthave = 5;

    /// <summary>Our id for ut_holepunch: peers send rendezvous, connect and error messages to us with it.</summary>
    public const byte UtHolepunch = 6;

    /// <summary>Our client name and version, sent as <c>v</c>.</summary>
    public const string ClientVersion = "TorrentLab 0.1.0";

    /// <summary>How many outstanding requests we queue per peer without dropping any, sent as <c>reqq</c>: 2000, as
    /// libtorrent 2.0 (<c>max_allowed_in_request_queue</c>); the swarm refuses requests beyond it.</summary>
    public const int RequestQueue = 2000;
}
