namespace TorrentLab.Wire;

/// <summary>The pieces a peer announced on one <see cref="PeerConnection"/> (its bitfield or BEP 6 have all/none, then
/// its haves), held aside until the torrent's piece count is known (a magnet link before its metadata).</summary>
/// <remarks>Changed by the connection's one reader (and by <see cref="PeerConnection.SetPieceCount"/>); read
/// <see cref="Pieces"/> from the reader's task. A violation is a <see cref="WireException"/> that names the peer.</remarks>
internal sealed class AnnouncedPieces(PeerConnection connection)
{
    private byte[]? _earlyBitfield;      // a bitfield received before the piece count was known
    private readonly List<int> _earlyHaves = [];
    private const int MaxEarlyHaves = 1 << 16; // bounds memory for haves before the piece count is known
    private bool _earlyHaveAll;          // a have all received before the piece count was known

    /// <summary>Its bitfield plus every have; null while the piece count is unknown.</summary>
    public Bitfield? Pieces { get; private set; }

    /// <summary>The piece count became known: what came before it becomes <see cref="Pieces"/>.</summary>
    /// <exception cref="WireException">What the peer announced does not fit <paramref name="pieceCount"/>.</exception>
    public void SetPieceCount(int pieceCount)
    {
        try
        {
            Pieces = _earlyHaveAll ? Bitfield.Full(pieceCount)
                : _earlyBitfield is null ? new Bitfield(pieceCount) : Bitfield.FromWire(_earlyBitfield, pieceCount);
        }
        catch (WireException e)
        {
            throw connection.PeerError(e.Message, e);
        }
        foreach (var index in _earlyHaves)
        {
            if (index >= pieceCount) throw connection.PeerError($"have for piece index {index}, but the torrent has {pieceCount} pieces");
            Pieces.Set(index);
        }
        _earlyBitfield = null;
        _earlyHaves.Clear();
    }

    /// <summary>A <c>have</c> (its index already checked against the piece count when known).</summary>
    public void OnHave(int index)
    {
        if (Pieces is not null) Pieces.Set(index);
        else if (_earlyHaves.Count < MaxEarlyHaves) _earlyHaves.Add(index);
        else throw connection.PeerError($"more than {MaxEarlyHaves} have messages before the piece count is known");
    }

    /// <summary>A <c>bitfield</c>; <paramref name="late"/> when other messages came before it.</summary>
    public void OnBitfield(ReadOnlyMemory<byte> payload, bool late, int pieceCount)
    {
        if (late) OnLateBitfield(payload.Span, pieceCount);
        else if (Pieces is not null) Pieces = Bitfield.FromWire(payload.Span, pieceCount);
        else _earlyBitfield = payload.ToArray();
    }

    /// <summary>A bitfield after other messages: accepted as haves when it keeps every piece announced so far.</summary>
    private void OnLateBitfield(ReadOnlySpan<byte> payload, int pieceCount)
    {
        if (Pieces is null) throw connection.PeerError("bitfield received after other messages, before the piece count is known");
        var late = Bitfield.FromWire(payload, pieceCount);
        foreach (var index in Pieces.SetIndexes())
            if (!late[index]) throw connection.PeerError($"bitfield received after other messages takes back piece {index}; BEP 3 allows it only as the first message");
        foreach (var index in late.SetIndexes()) Pieces.Set(index);
    }

    /// <summary>BEP 6 <c>have all</c> and <c>have none</c>: a whole bitfield in one byte, where a bitfield may be (or,
    /// <paramref name="late"/>, as haves).</summary>
    public void OnHaveAllOrNone(bool all, bool late, int pieceCount)
    {
        // BEP 6: Have All/Have None are sent in place of the bitfield, which BEP 3 allows only as the first message.
        // Departure, as for a late bitfield: aria2 sends a later have all in place of many haves once it has every
        // piece, so a later one is taken as those haves; a later have none is a violation only if it takes pieces back.
        if (late)
        {
            if (Pieces is null && all) _earlyHaveAll = true;
            else if (Pieces is null) throw connection.PeerError("have none received after other messages, before the piece count is known");
            else if (all) for (var index = 0; index < pieceCount; index++) Pieces.Set(index);
            else if (!Pieces.IsEmpty) throw connection.PeerError("have none received after other messages takes back pieces; BEP 3 allows a bitfield only as the first message");
            return;
        }
        if (Pieces is not null) Pieces = all ? Bitfield.Full(pieceCount) : new Bitfield(pieceCount);
        else _earlyHaveAll = all;
    }
}
