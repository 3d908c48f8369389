using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>Decides which 16 KiB blocks to ask each peer for, assembles them into pieces and checks each piece's
/// SHA-1 (BEP 3). Built for many peers at once; every method is thread-safe.</summary>
/// <remarks>
/// <para>The life of a piece: a picker (<see cref="IPiecePicker"/>) starts it for a peer that has it; its blocks are
/// handed out by <see cref="FillRequests"/> (partial pieces first, at most
/// <see cref="PieceManagerOptions.MaxRequestsPerPeer"/> in flight per peer); <see cref="OnBlockReceived"/> stores
/// each block in a pooled buffer; the last block triggers the SHA-1 check, outside the lock. A good piece is handed
/// to the caller as a <see cref="VerifiedPiece"/> to write and dispose; a bad one is dropped, re-requested later,
/// and its contributors are reported.</para>
/// <para>Peers are identified by an <see cref="IBlockSource"/> (the swarm's peer itself, or a <see cref="PeerKey"/>). Blocks go back to the
/// pool when a peer chokes us (<see cref="ReleaseBlocks"/>), leaves (<see cref="RemovePeer"/>) or is too slow
/// (<see cref="ExpireRequests"/>). When every remaining block is requested, endgame lets idle peers ask for blocks
/// others already have in flight; the first copy wins and <see cref="BlockResult.CancelPeers"/> says whom to cancel.</para>
/// <para>Memory stays bounded: at most <see cref="MaxPiecesInProgress"/> piece buffers exist at a time.</para>
/// </remarks>
internal sealed partial class PieceManager
{
    private readonly Lock _lock = new();
    private readonly Torrent _torrent;
    private readonly PieceManagerOptions _options;
    private IPiecePicker _picker; // replaced whole by SetPicker, under _lock
    private readonly TimeProvider _clock;
    private readonly Bitfield _have;
    private readonly int[] _availability;
    private readonly ActivePiece?[] _activeByIndex;
    private readonly List<ActivePiece> _inProgress = []; // in the order they were started: oldest finished first
    private readonly Dictionary<IBlockSource, PeerState> _peers = [];
    private readonly PickContext _pickContext;
    private PieceSelection _selection; // replaced whole by SetSelection, under _lock
    private int _unrequestedBlocks; // sum of Unrequested over _inProgress
    private int _wantedMissing; // wanted pieces not verified yet: zero means complete
    private long _haveBytes, _downloadedBytes, _verifiedBytes, _wastedBytes;
    private long _requestSequence; // numbers every request handed out, in order
    private readonly long[] _wastedByCause = new long[WasteCauses];
    private readonly long[] _idleFills = new long[3];

    /// <summary>Requests filled for nothing to a peer with none in flight, by why: the in-progress bound, no piece of
    /// it left to start (every one it has is being fetched elsewhere), endgame with nothing to duplicate; for traces.</summary>
    internal long[] IdleFills() { lock (_lock) return [.. _idleFills]; }

    /// <summary>Entries of <see cref="WastedByCause"/>: for a piece verified by then, then for a block already stored;
    /// each split by the request it answered: still outstanding, or withdrawn as expired, released, cancelled.</summary>
    internal const int WasteCauses = 8;

    /// <param name="torrent">The torrent to download.</param>
    /// <param name="have">Pieces already on disk (from the resume ledger or a verification); copied.</param>
    /// <param name="options">Tuning; null for the defaults.</param>
    public PieceManager(Torrent torrent, Bitfield have, PieceManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(have);
        if (have.Length != torrent.PieceCount)
            throw new ArgumentException($"have bitfield has {have.Length} pieces, the torrent {torrent.PieceCount}", nameof(have));
        _torrent = torrent;
        _options = options ?? new PieceManagerOptions();
        _options.Validate();
        _picker = _options.Picker ?? new RarestFirstPicker();
        _clock = _options.Clock ?? TimeProvider.System;
        _have = Bitfield.FromWire(have.ToBytes(), have.Length);
        _haveAtStart = _have.Count;
        foreach (var i in _have.SetIndexes()) _haveBytes += torrent.GetPieceLength(i);
        _availability = new int[torrent.PieceCount];
        _activeByIndex = new ActivePiece?[torrent.PieceCount];
        Check = new PieceCheck(torrent);
        _selection = _options.Selection ?? PieceSelection.All(torrent);
        if (_selection.Files.Count != torrent.Files.Count)
            throw new ArgumentException($"the selection has {_selection.Files.Count} files, the torrent {torrent.Files.Count}", nameof(options));
        _wantedMissing = _selection.WantedCount - _selection.WantedIn(_have, torrent).Pieces;
        _pickContext = new PickContext(_have, _availability, _activeByIndex, Check, _selection);
        MaxPiecesInProgress = _options.MaxPiecesInProgress(torrent.PieceLength);
        _padding = PaddingMap.Of(torrent);
    }

    /// <summary>How complete pieces are verified, and the v2 piece layers learnt from peers (BEP 52 hash requests).</summary>
    internal PieceCheck Check { get; }

    /// <summary>The bound on pieces being assembled at once (buffers in memory).</summary>
    public int MaxPiecesInProgress { get; }

    /// <summary>Number of pieces in the torrent.</summary>
    public int PieceCount => _have.Length;

    /// <summary>Pieces verified so far (including those we started with).</summary>
    public int HaveCount { get { lock (_lock) return _have.Count; } }

    /// <summary>True once every wanted piece is verified (every piece, unless files are skipped).</summary>
    public bool IsComplete { get { lock (_lock) return _wantedMissing == 0; } }

    /// <summary>Which pieces are wanted and how much (<see cref="PieceManagerOptions.Selection"/>, or the last
    /// <see cref="SetSelection"/>).</summary>
    public PieceSelection Selection { get { lock (_lock) return _selection; } }

    /// <summary>Wants the pieces <paramref name="selection"/> wants from now on, while peers are connected: each peer's
    /// count of pieces it could give us is counted again (so interest follows at its next top-up), and the picker
    /// chooses among the new wanted pieces and levels. Pieces being assembled are finished whatever their file's
    /// priority now (their blocks are on the way); a piece no longer wanted is simply not started.</summary>
    /// <exception cref="ArgumentException">A selection of another torrent (its file count differs).</exception>
    public void SetSelection(PieceSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (selection.Files.Count != _torrent.Files.Count)
            throw new ArgumentException($"the selection has {selection.Files.Count} files, the torrent {_torrent.Files.Count}", nameof(selection));
        lock (_lock)
        {
            _selection = selection;
            _pickContext.Selection = selection;
            _pickContext.FirstCandidate = 0; // a piece below the old first candidate may be wanted now
            _wantedMissing = selection.WantedCount - selection.WantedIn(_have, _torrent).Pieces;
            _pickContext.CountStartable();
            foreach (var state in _peers.Values)
            {
                var interesting = 0;
                foreach (var i in state.Has.SetIndexes()) if (!_have[i] && selection.IsWanted(i)) interesting++;
                state.Interesting = interesting;
            }
        }
    }

    /// <summary>Picks pieces with <paramref name="picker"/> from now on (rarest first, or in order for streaming).</summary>
    public void SetPicker(IPiecePicker picker)
    {
        ArgumentNullException.ThrowIfNull(picker);
        lock (_lock)
        {
            _picker = picker;
            _pickContext.FirstCandidate = 0;
        }
    }

    /// <summary>True while every missing block that any connected peer can send is already requested.</summary>
    public bool IsEndgame { get { lock (_lock) return IsEndgameLocked(); } }

    /// <summary>When end game first began (UTC ticks), the peer whose requests were being filled when it did, and the
    /// wanted pieces then missing; null until it did. Observed for the piece map's timeline; nothing here reads it.</summary>
    public (long At, IBlockSource Peer, int PiecesLeft)? EndgameBegan { get { lock (_lock) return _endgameBegan; } }

    private (long At, IBlockSource Peer, int PiecesLeft)? _endgameBegan; // guarded by _lock

    /// <summary>When a download that started without its random first pieces first picked by rarity (UTC ticks), for
    /// which peer, and the wanted pieces then missing; null until then. For the piece map's timeline only.</summary>
    public (long At, IBlockSource Peer, int PiecesLeft)? RarestFirstBegan { get { lock (_lock) return _rarestFirstBegan; } }

    private (long At, IBlockSource Peer, int PiecesLeft)? _rarestFirstBegan; // guarded by _lock
    private readonly int _haveAtStart; // pieces held when made: a download that started with the random ones began by rarity

    /// <summary>Wanted pieces not verified yet.</summary>
    public int WantedMissing { get { lock (_lock) return _wantedMissing; } }

    /// <summary>Bytes of verified pieces, including those we started with.</summary>
    public long HaveBytes { get { lock (_lock) return _haveBytes; } }

    /// <summary>Bytes of wanted pieces still to verify.</summary>
    public long RemainingBytes { get { lock (_lock) return _selection.WantedBytes - _selection.WantedIn(_have, _torrent).Bytes; } }

    /// <summary>Block bytes stored this session (accepted, before verification).</summary>
    public long DownloadedBytes { get { lock (_lock) return _downloadedBytes; } }

    /// <summary>Bytes of pieces verified this session.</summary>
    public long VerifiedBytes { get { lock (_lock) return _verifiedBytes; } }

    /// <summary>Bytes received for nothing: duplicates, and pieces that failed their hash or were dropped.</summary>
    public long WastedBytes { get { lock (_lock) return _wastedBytes; } }

    /// <summary>Duplicate block bytes by cause (see <see cref="WasteCauses"/>); a copy, for traces.</summary>
    internal long[] WastedByCause() { lock (_lock) return [.. _wastedByCause]; }

    /// <summary>Pieces being assembled right now.</summary>
    public int PiecesInProgress { get { lock (_lock) return _inProgress.Count; } }

    /// <summary>True when piece <paramref name="index"/> is verified.</summary>
    public bool HasPiece(int index) { lock (_lock) return _have[index]; }

    /// <summary>A copy of the verified pieces (for a BEP 3 <c>bitfield</c> message or the resume ledger).</summary>
    public Bitfield SnapshotHave() { lock (_lock) return Bitfield.FromWire(_have.ToBytes(), _have.Length); }

    /// <summary>Per piece, how many registered peers announced it (255 at most), for a piece map.</summary>
    public byte[] SnapshotAvailability()
    {
        lock (_lock)
        {
            var counts = new byte[_availability.Length];
            for (var i = 0; i < counts.Length; i++) counts[i] = (byte)Math.Min(_availability[i], 255);
            return counts;
        }
    }

    /// <summary>The indexes of the pieces being assembled right now (for a piece map's "requested" state).</summary>
    public int[] SnapshotInProgress() { lock (_lock) return [.. _inProgress.Select(p => p.Index)]; }

    /// <summary>Bytes of block data the pieces in progress hold (what arrived of them, not their length).</summary>
    internal long HeldBlockBytes { get { lock (_lock) return _inProgress.Sum(p => (long)p.HeldBytes); } }

    /// <summary>Registers a peer and the pieces it announced (its <c>bitfield</c>; an empty one if it sent none).
    /// The bitfield is copied.</summary>
    /// <exception cref="InvalidOperationException">The peer is already registered.</exception>
    public void AddPeer(IBlockSource peer, Bitfield has)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(has);
        if (has.Length != PieceCount)
            throw new ArgumentException($"peer bitfield has {has.Length} pieces, the torrent {PieceCount}", nameof(has));
        lock (_lock)
        {
            if (_peers.ContainsKey(peer)) throw new InvalidOperationException($"peer {peer} is already registered");
            var state = new PeerState(Bitfield.FromWire(has.ToBytes(), has.Length));
            foreach (var i in state.Has.SetIndexes())
            {
                if (_availability[i]++ == 0) _pickContext.Recount(i, was: false);
                if (!_have[i] && _selection.IsWanted(i)) state.Interesting++;
            }
            _peers.Add(peer, state);
        }
    }

    /// <summary>Records a BEP 3 <c>have</c>: the peer now has piece <paramref name="index"/>.</summary>
    /// <returns>True when this makes the piece newly known for this peer.</returns>
    public bool PeerHas(IBlockSource peer, int index)
    {
        lock (_lock)
        {
            var state = Peer(peer);
            if (!state.Has.Set(index)) return false;
            if (_availability[index]++ == 0) _pickContext.Recount(index, was: false);
            if (!_have[index] && _selection.IsWanted(index)) state.Interesting++;
            return true;
        }
    }

    /// <summary>Records BEP 54's <c>lt_donthave</c>: the peer no longer has piece <paramref name="index"/>. Our requests
    /// to it for that piece go back to the pool (returned, for the caller's own bookkeeping).</summary>
    /// <returns>Whether the peer had the piece, and the requests taken back.</returns>
    public (bool Had, IReadOnlyList<BlockRequest> Released) PeerLost(IBlockSource peer, int index)
    {
        lock (_lock)
        {
            var state = Peer(peer);
            if (!state.Has.Clear(index)) return (false, []);
            if (--_availability[index] == 0) _pickContext.Recount(index, was: _pickContext.IsStartable(index, availableOrNot: true));
            if (!_have[index] && _selection.IsWanted(index)) state.Interesting--;
            var released = state.Outstanding.Where(r => r.Index == index).ToList();
            foreach (var request in released)
            {
                state.Outstanding.Remove(request);
                Withdraw(peer, state, request);
            }
            ReleaseSoloPieces(peer, only: index); // fetched again from this peer alone (after a hash failure): now from anyone
            return (true, released);
        }
    }

    /// <summary>How many connected peers announced piece <paramref name="index"/>.</summary>
    public int Availability(int index) { lock (_lock) return _availability[index]; }

    /// <summary>True when the peer has a piece we lack (we should be BEP 3 <c>interested</c>).</summary>
    public bool IsInteresting(IBlockSource peer) { lock (_lock) return Peer(peer).Interesting > 0; }

    /// <summary>True when the peer has a piece we want and something could be asked of it now: requests of ours are
    /// out to it, a piece it has holds blocks nobody was asked for, a piece of it can be started, or it is endgame.
    /// False while every wanted piece it has is being fetched from others: it has nothing for us until that changes
    /// (it announces a new piece, or a request elsewhere is taken back).</summary>
    public bool CanAsk(IBlockSource peer)
    {
        lock (_lock)
        {
            var state = Peer(peer);
            if (state.Interesting == 0) return false;
            if (state.Outstanding.Count > 0) return true;
            foreach (var piece in _inProgress)
                if (piece.Unrequested > 0 && !piece.Verifying && state.Has[piece.Index] && MayContribute(piece, peer)) return true;
            return _pickContext.AnyCandidate(state.Has) || IsEndgameLocked();
        }
    }

    /// <summary>Requests the peer has not answered yet.</summary>
    public int RequestsInFlight(IBlockSource peer) { lock (_lock) return Peer(peer).Outstanding.Count; }

    /// <summary>How many pieces this peer contributed to that then failed their hash check.</summary>
    public int HashFailures(IBlockSource peer) { lock (_lock) return Peer(peer).HashFailures; }

    /// <summary>Forgets a peer: its requested blocks go back to the pool and its pieces stop counting for rarity.
    /// Unknown peers are ignored (so a disconnect path may call it twice).</summary>
    public void RemovePeer(IBlockSource peer)
    {
        lock (_lock)
        {
            if (!_peers.Remove(peer, out var state)) return;
            ReleaseLocked(peer, state);
            foreach (var i in state.Has.SetIndexes())
                if (--_availability[i] == 0) _pickContext.Recount(i, was: _pickContext.IsStartable(i, availableOrNot: true));
        }
    }

    private PeerState Peer(IBlockSource peer) =>
        _peers.TryGetValue(peer, out var state) ? state : throw new InvalidOperationException($"peer {peer} was not added (AddPeer) or was removed");

    private bool IsEndgameLocked() => _wantedMissing > 0 && _unrequestedBlocks == 0 && _pickContext.Startable == 0 && _inProgress.Count > 0;

    /// <summary>How many pieces could be started now (wanted, lacking, held by a peer, not in progress); for tests.</summary>
    internal int StartableCount { get { lock (_lock) return _pickContext.Startable; } }

    /// <summary>Blocks of the pieces in progress that nobody was asked for; for tests.</summary>
    internal int UnrequestedBlocks { get { lock (_lock) return _unrequestedBlocks; } }

    /// <summary>What the manager knows about one peer.</summary>
    private sealed class PeerState(Bitfield has)
    {
        public Bitfield Has { get; } = has;
        public HashSet<BlockRequest> Outstanding { get; } = [];
        /// <summary>Requests taken back recently (expired, choked, cancelled): a late answer is still welcome.</summary>
        public RecentRequests Withdrawn { get; } = new();
        /// <summary>Requests that expired with this peer: it is asked for other blocks first (see <c>FillRequests</c>).</summary>
        public RecentRequests TimedOut { get; } = new();
        /// <summary>Pieces this peer has that we lack.</summary>
        public int Interesting { get; set; }
        public int HashFailures { get; set; }
        /// <summary>When it last answered a request still outstanding (UTC ticks), and the newest sequence number among
        /// the requests it answered: a request of it asked later is queued behind, one asked earlier was skipped.</summary>
        public long LastAnswerAt { get; set; }
        public long NewestAnswered { get; set; }
        /// <summary>Pieces it suggested (BEP 6), the latest first.</summary>
        public List<int> Suggested { get; } = [];
    }
}
