namespace TorrentLab.Lab;

/// <summary>The phrases of the synthetic peers' log that prove a downloader's mistake (see SyntheticPeer.Serve.cs).</summary>
internal static class PeerLog
{
    /// <summary>A request that arrived before the peer's first unchoke (dropped, as BEP 3 allows).</summary>
    public const string BeforeUnchoke = "(sent before the first unchoke)";

    /// <summary>A request that arrived after the peer choked mid-piece (dropped).</summary>
    public const string WhileChoked = "(sent while choked mid-piece)";

    /// <summary>A request for more than 16 KiB (the peer closes the connection).</summary>
    public const string TooLarge = "(more than 16384 bytes)";

    /// <summary>A request past the end of its piece (the peer closes the connection).</summary>
    public const string PastPieceEnd = "(beyond the end of the piece)";

    /// <summary>A v2 peer answered a BEP 52 hash request (the line goes on with Hashes or HashReject).</summary>
    public const string HashRequestAnswered = "answered a hash request";

    /// <summary>A v2 peer rejected a hash request because it has no piece layer yet (LateHashes).</summary>
    public const string NoLayerYet = "(no piece layer yet)";

    /// <summary>The forging v2 peer answered a hash request with its forged layer.</summary>
    public const string ForgedLayerSent = "(a forged layer: it does not hash up to the pieces root)";

    /// <summary>The forging v2 peer sent a block of one of its corrupt pieces.</summary>
    public const string ForgedBlockSent = "sent forged block";

    /// <summary>The corrupting peer sent its spoiled block.</summary>
    public const string CorruptSent = "sent corrupt block";

    /// <summary>A magnet peer saw a BEP 3 handshake without the BEP 10 bit (it sends no extension handshake).</summary>
    public const string NoExtensionBit = "without the extension bit";

    /// <summary>A magnet peer received the downloader's extension handshake (the line goes on with its <c>m</c>).</summary>
    public const string ReceivedExtensionHandshake = "received extension handshake";

    /// <summary>An extended message under an id the peer never assigned (e.g. the sender's own ut_metadata id).</summary>
    public const string UnassignedId = "which is not an id we assigned";

    /// <summary>A CorruptMetadata peer sent a spoiled metadata piece.</summary>
    public const string MetadataCorrupted = "(corrupted)";

    /// <summary>A peer with a late piece or late metadata got it (it serves it from now on).</summary>
    public const string Acquired = "acquired";

    /// <summary>A late-metadata peer rejected a ut_metadata request because it has no metadata yet.</summary>
    public const string NoMetadataYet = "(no metadata yet)";

    /// <summary>A request for a piece the peer has not got yet (left out of its bitfield); it closes the connection.</summary>
    public const string NotYet = "(not in our bitfield: we do not have that piece yet)";

    /// <summary>A v2 peer saw a handshake without the BEP 52 upgrade bit (reserved[7] &amp; 0x10).</summary>
    public const string NoV2Bit = "without the v2 upgrade bit (BEP 52: reserved byte 7, 0x10)";

    /// <summary>A request for the piece a <see cref="SyntheticBehaviour.ChokesBeforeHave"/> peer announced only with a
    /// <c>have</c> sent right after its <c>choke</c>, read before it unchoked again (the strict grade fails it).</summary>
    public const string ChokeIgnored = "(asked while choked: this piece was announced only by a have sent after the choke)";

    /// <summary>True for lines after which the program cannot succeed any more: its requests were dropped or refused.</summary>
    public static bool IsFatal(string line) =>
        line.Contains(BeforeUnchoke, StringComparison.Ordinal) || line.Contains(TooLarge, StringComparison.Ordinal)
        || line.Contains(PastPieceEnd, StringComparison.Ordinal) || line.Contains(ChokeIgnored, StringComparison.Ordinal);
}
