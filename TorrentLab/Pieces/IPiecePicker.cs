using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>Chooses which piece to start next for a peer: the pluggable part of piece selection.</summary>
/// <remarks>The <see cref="PieceManager"/> always finishes pieces already in progress first (so partial buffers
/// are freed early) and handles endgame itself; a picker only chooses among pieces nobody has started. It is
/// called under the manager's lock, so it needs no locking of its own but must be quick.</remarks>
internal interface IPiecePicker
{
    /// <summary>Returns a piece that <paramref name="peerHas"/> and that <see cref="PickContext.IsCandidate"/>
    /// accepts, or -1 when there is none.</summary>
    int Pick(Bitfield peerHas, PickContext context);
}

/// <summary>What a picker may know about the torrent's state: read-only, valid only during the call.</summary>
internal sealed class PickContext
{
    private readonly Bitfield _have;
    private readonly int[] _availability;
    private readonly ActivePiece?[] _active;
    private readonly PieceCheck _check;
    private PieceSelection _selection;

    internal PickContext(Bitfield have, int[] availability, ActivePiece?[] active, PieceCheck check, PieceSelection selection)
    {
        _check = check;
        _selection = selection;
        _have = have;
        _availability = availability;
        _active = active;
    }

    /// <summary>Number of pieces in the torrent.</summary>
    public int PieceCount => _have.Length;

    /// <summary>The selection candidates are wanted by (replaced with the piece manager's, under its lock).</summary>
    internal PieceSelection Selection { set => _selection = value; }

    /// <summary>Pieces we have verified.</summary>
    public int HaveCount => _have.Count;

    /// <summary>The lowest index that may be a candidate (every lower piece is had or in progress).</summary>
    public int FirstCandidate { get; internal set; }

    /// <summary>The priority level being picked from (<see cref="FilePriority.Skip"/>: any wanted piece).</summary>
    internal FilePriority Level { get; set; }

    /// <summary>True when we lack piece <paramref name="index"/>, want it (at the level being picked), nobody is
    /// downloading it yet and it can be verified once it arrives (a v2 file's piece layer may still be on its way).</summary>
    public bool IsCandidate(int index) => _active[index] is null && !_have[index] && Wanted(index) && _check.CanVerify(index);

    private bool Wanted(int index) => Level == FilePriority.Skip ? _selection.IsWanted(index) : _selection.Rank(index) == Level;

    /// <summary>How many connected peers have piece <paramref name="index"/> (its availability; lower is rarer).</summary>
    public int Availability(int index) => _availability[index];

    /// <summary>Moves <see cref="FirstCandidate"/> past the pieces had, in progress or not wanted, and returns it.</summary>
    internal int AdvanceFirstCandidate()
    {
        var first = FirstCandidate;
        while (first < PieceCount && (_have[first] || _active[first] is not null || !_selection.IsWanted(first))) first++;
        return FirstCandidate = first;
    }

    /// <summary>True when <paramref name="peerHas"/> a candidate (what a picker finds one of, by its contract): the first
    /// from the lowest, without a picker's ranking and random draws, which the piece manager's <c>CanAsk</c>, asked
    /// after every read from a peer that is not sending us blocks, does not need.</summary>
    internal bool AnyCandidate(Bitfield peerHas)
    {
        for (var i = AdvanceFirstCandidate(); i < PieceCount; i++)
            if (peerHas[i] && IsCandidate(i)) return true;
        return false;
    }

    /// <summary>Pieces <see cref="IsStartable"/> says yes to, counted as they change (the piece manager calls
    /// <see cref="Recount"/> wherever one of its inputs changes): endgame waits until there are none. A walk over every
    /// piece each time endgame was asked about was 1.3 % of a 1,000-peer simulated run.</summary>
    internal int Startable { get; private set; }

    /// <summary>A wanted piece we lack, that a connected peer has (or not, with <paramref name="availableOrNot"/>) and
    /// nobody is fetching: one to start before endgame.</summary>
    internal bool IsStartable(int index, bool availableOrNot = false) =>
        !_have[index] && _active[index] is null && (availableOrNot || _availability[index] > 0) && _selection.IsWanted(index);

    /// <summary>Keeps <see cref="Startable"/> right after a change to piece <paramref name="index"/>, which it
    /// <paramref name="was"/> before.</summary>
    internal void Recount(int index, bool was)
    {
        var now = IsStartable(index);
        if (now != was) Startable += now ? 1 : -1;
    }

    /// <summary>Counts <see cref="Startable"/> afresh (a new selection).</summary>
    internal void CountStartable()
    {
        Startable = 0;
        for (var i = 0; i < PieceCount; i++) if (IsStartable(i)) Startable++;
    }
}
