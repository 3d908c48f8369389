namespace TorrentLab.Lab;

/// <summary>How a <see cref="SyntheticPeer"/> serves (or misserves) its payload, for tests and the lab's mock swarm.</summary>
public enum SyntheticBehaviour
{
    /// <summary>An honest seeder: bitfield, unchokes whoever is interested, answers every request at full speed.</summary>
    Normal,

    /// <summary>Honest but waits <see cref="SyntheticPeerOptions.SlowDelay"/> after each block it sends.</summary>
    Slow,

    /// <summary>Announces its pieces but never unchokes: requests are ignored (BEP 3 allows it).</summary>
    NeverUnchokes,

    /// <summary>After <see cref="SyntheticPeerOptions.ChokeAfterBlocks"/> blocks of a piece, chokes (dropping queued
    /// requests) and unchokes again after <see cref="SyntheticPeerOptions.ChokeDuration"/>; once per connection.</summary>
    ChokesMidPiece,

    /// <summary>Closes the connection after <see cref="SyntheticPeerOptions.DisconnectAfterBlocks"/> blocks.</summary>
    DisconnectsAfterBlocks,

    /// <summary>Flips the first byte of the first block of <see cref="SyntheticPeerOptions.CorruptPieceIndex"/> every
    /// time it serves it, so the piece fails its SHA-1.</summary>
    CorruptBlock,

    /// <summary>Claims every piece but cannot serve <see cref="SyntheticPeerOptions.MissingPieces"/>: reacts to a request
    /// for one as <see cref="SyntheticPeerOptions.LieReaction"/> says.</summary>
    LiesInBitfield,

    /// <summary>After its bitfield, sends a length prefix of <see cref="SyntheticPeerOptions.OversizedLength"/> (a
    /// memory-exhaustion attempt).</summary>
    OversizedLength,

    /// <summary>Answers the handshake with a different info hash.</summary>
    WrongInfoHash,

    /// <summary>After its bitfield, sends <c>have</c> for index = piece count (out of range).</summary>
    HaveOutOfRange,

    /// <summary>With <see cref="SyntheticPeerOptions.ServeMetadata"/>: flips the second-to-last byte of every ut_metadata
    /// piece it sends (BEP 9), inside the 'pieces' hashes of a typical info dictionary, so the assembled metadata still
    /// decodes but fails the info hash.</summary>
    CorruptMetadata,

    /// <summary>With <see cref="SyntheticPeerOptions.ServeMetadata"/>: announces the metadata size but answers every
    /// ut_metadata request with a reject (BEP 9).</summary>
    RejectMetadata,

    /// <summary>For a v2 torrent (BEP 52): flips the first byte of every piece it serves, and answers a hash request with
    /// the piece layer of those corrupt pieces, which does not hash up to the file's pieces root: a downloader that trusts
    /// a layer without checking it against the root accepts its corrupt pieces.</summary>
    ForgedLayer,

    /// <summary>Honest, but never has the pieces left out of <see cref="SyntheticPeerOptions.HasPieces"/>: its bitfield
    /// says so, and a request for one closes the connection (the strict grade: a client asks only for announced pieces).</summary>
    LacksPiece,

    /// <summary>Honest, but leaves <see cref="SyntheticPeerOptions.HeldBackPiece"/> out of its bitfield. When asked for
    /// the last block of the piece before it, it sends <c>choke</c>, then <c>have</c> for the held-back piece, then that
    /// block, and unchokes after <see cref="SyntheticPeerOptions.ChokeDuration"/>. A request for the held-back piece read
    /// before that unchoke was sent after the downloader read the choke (the <c>have</c> follows it on the wire) or
    /// without the <c>have</c> at all: either way a rule broken, with no timing judged (the strict grade).</summary>
    ChokesBeforeHave,
}

/// <summary>What a <see cref="SyntheticBehaviour.LiesInBitfield"/> peer does when asked for a piece it lied about.</summary>
public enum LieReaction
{
    /// <summary>Closes the connection.</summary>
    Close,

    /// <summary>Never answers the request (the downloader must time it out).</summary>
    Ignore,
}
