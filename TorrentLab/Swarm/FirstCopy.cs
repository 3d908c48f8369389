namespace TorrentLab.Swarm;

/// <summary>What a request is to a lone seed's first copy (<see cref="FirstCopy.Classify"/>).</summary>
internal enum RequestClass
{
    /// <summary>A piece that has not left, for its first receiver: served first.</summary>
    FirstCopy,
    /// <summary>A new piece for a peer whose last first copies have not spread: after the peer's first copies.</summary>
    Paced,
    /// <summary>A piece another peer is getting or got: last.</summary>
    Again,
}

/// <summary>A lone seed's first copy: which piece the seed sends next, so that each piece leaves it once before any
/// piece leaves twice. While we are the only complete source, every byte we send of a piece we already sent is a byte
/// the swarm could have had from a peer, and the swarm cannot finish before every piece has left us once.</summary>
/// <remarks>
/// <para>A piece's first copy belongs to the peer we send its first block to (its owner), until the owner has all of
/// it. A request is for a first copy when its piece has no owner yet, or when the asker is the owner. The seed serves
/// those before requests for pieces already sent or being sent to another peer (<see cref="IsFirstCopy"/>), and
/// suggests (BEP 6 <c>suggest</c>) to each peer a piece nobody has been sent or suggested, so that peers that honour
/// suggestions (libtorrent, TorrentLab) ask for different pieces (<see cref="Suggest"/>).</para>
/// <para>Nothing waits on a peer that misbehaves: an owner that has received nothing of its piece for
/// <see cref="StaleAfter"/> (it left mid-piece, was choked, or stopped asking) loses it, and the next peer to receive a
/// block owns it; an owner that leaves gives its unfinished pieces back at once, and so does the last holder of a
/// piece when it leaves without anyone else having announced it. A suggestion not taken within
/// <see cref="StaleAfter"/> may be given to another peer.</para>
/// <para>The rule orders, it never withholds (issue 84: holding requests back made a lone seed 20-60 times slower than
/// libtorrent's for two to four uncapped downloaders that could not pass pieces on). Which regime each part is for:
/// <list type="bullet">
/// <item>Every regime: suggestions steer the peers that honour them to different pieces, at no cost in upload.</item>
/// <item>Under an upload limit (the seed's upload bounds the swarm, as a home uplink does): a peer's queue is served
/// first copies first, then paced ones, then the rest (<see cref="UploadQueue"/>); requests for first copies take the
/// limit's tokens as they come, the others only tokens nobody took, which a full bucket would lose
/// (<c>RateLimit.TryTakeSpare</c>). The limit goes to first copies first and is never left idle. A peer whose queue
/// holds only pieces others got, while it could start one nobody has (<see cref="CouldStartNew"/>), is told no once per
/// block (BEP 6 <c>reject</c>, <see cref="UploadQueue.RejectAgainOnce"/>) so that it asks for such a piece.</item>
/// <item>Without a limit the seed cannot know what its link could carry, so it holds nothing back: what a peer asks
/// goes as soon as its sender can write it, as from libtorrent's seed.</item>
/// </list></para>
/// <para>It ends for good (<see cref="Active"/> false) once every piece has left once, or once another complete source
/// is in sight (<see cref="AnotherSource"/>): from then on the seed serves requests as they come.</para>
/// <para>Only state, no I/O: the swarm asks it and tells it what it sent. Thread-safe.</para>
/// </remarks>
internal sealed partial class FirstCopy
{
    /// <summary>How long an owner may receive nothing of its piece, and a suggestion stay untaken, before the piece is
    /// free for another peer (a peer served at 16 KiB/s gets a block a second).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;
    private readonly int[] _pieceLengths;
    private readonly object?[] _owner;         // the peer receiving the piece's first copy; null: none
    private readonly long[] _lastSentAt;       // when the owner last received a block of it (a timestamp of _clock)
    private readonly int[] _sentToOwner;       // bytes of it sent to its owner
    private readonly bool[] _out;              // the whole piece left once
    private readonly HashSet<object>?[] _others; // peers other than the owner that were sent part of it
    private readonly object?[] _suggestedTo;   // the peer it was suggested to, not taken yet; null: none
    private readonly long[] _suggestedAt;
    private readonly Dictionary<object, List<int>> _suggestions = []; // per peer, the pieces suggested to it (some may be taken or stale)
    private int _outCount, _cursor;
    private readonly Dictionary<object, int> _inProgressBy = []; // first copies started and not whole, per owner
    private bool _ended;

    /// <param name="pieceLengths">Each piece's length in bytes.</param>
    /// <param name="clock">The swarm's clock.</param>
    public FirstCopy(IReadOnlyList<int> pieceLengths, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(pieceLengths);
        ArgumentOutOfRangeException.ThrowIfZero(pieceLengths.Count);
        _clock = clock ?? TimeProvider.System;
        _pieceLengths = [.. pieceLengths];
        var count = _pieceLengths.Length;
        _owner = new object?[count];
        _lastSentAt = new long[count];
        _sentToOwner = new int[count];
        _out = new bool[count];
        _others = new HashSet<object>?[count];
        _wholeAt = new long[count];
        _seenElsewhere = new bool[count];
        _suggestedTo = new object?[count];
        _suggestedAt = new long[count];
    }

    /// <summary>True while some piece has not left once and no other complete source is in sight.</summary>
    public bool Active { get { lock (_lock) return !_ended && _outCount < _out.Length; } }

    /// <summary>Pieces that have left the seed whole at least once.</summary>
    public int PiecesOut { get { lock (_lock) return _outCount; } }

    /// <summary>Bytes sent again while the first copy was still going out: what the rule could not avoid (a peer that
    /// asked only for pieces others were getting, after its wait).</summary>
    public long SentAgain { get { lock (_lock) return _sentAgain; } }
    private long _sentAgain;

    /// <summary>True when a request of <paramref name="peer"/> for piece <paramref name="index"/> is for a first copy:
    /// the piece has no owner, or the peer owns it, or its owner went stale. Always true once <see cref="Active"/> is
    /// false (every request is served as it comes).</summary>
    public bool IsFirstCopy(object peer, int index) => Classify(peer, index) == RequestClass.FirstCopy;

    /// <summary>What a request of <paramref name="peer"/> for piece <paramref name="index"/> is: a first copy (served
    /// first), a piece another peer is getting or got (<see cref="RequestClass.Again"/>), or a new first copy for a peer
    /// whose last ones have not spread yet (<see cref="RequestClass.Paced"/>).</summary>
    public RequestClass Classify(object peer, int index)
    {
        lock (_lock)
        {
            if (_ended || _outCount == _out.Length) return RequestClass.FirstCopy;
            if (Equals(_owner[index], peer) || _others[index]?.Contains(peer) == true) return RequestClass.FirstCopy; // it finishes what it started
            if (_out[index] || _owner[index] is not null && !Stale(index)) return RequestClass.Again;
            return MayStartLocked(peer) ? RequestClass.FirstCopy : RequestClass.Paced;
        }
    }

    /// <summary>The peer asked for a block of piece <paramref name="index"/>: if the piece has not left and nobody holds
    /// it, the peer does from now on (the first to ask gets the first copy, whatever the order we serve its queue in).</summary>
    /// <param name="peer">The peer.</param>
    /// <param name="index">The piece.</param>
    /// <param name="paced">False: the peer claims the piece whatever its pace (without an upload limit nothing is held
    /// back, and the claim keeps the piece out of other peers' suggestions).</param>
    /// <returns>True when, not <paramref name="paced"/>, the piece was suggested to this peer and it takes the
    /// suggestion now (the suggestion is no longer pending: another may follow).</returns>
    public bool Asked(object peer, int index, bool paced = true)
    {
        lock (_lock)
        {
            HeardFromLocked(peer);
            // Paced, a suggestion the peer's pace holds back stays its own (the piece is not suggested to another) until
            // it claims the piece or the suggestion goes stale: given to another, the piece would be a second copy
            // for it, and its held request would wait for spare tokens (ten peers capped: 1.27 T_min instead of 1.10).
            var took = !paced && Equals(_suggestedTo[index], peer);
            if (took) _suggestedTo[index] = null;
            AskedLocked(peer, index, paced);
            return took;
        }
    }

    private void AskedLocked(object peer, int index, bool paced)
    {
        if (_ended || _outCount == _out.Length || _out[index] || _owner[index] is not null && !Stale(index)) return;
        if (!Equals(_owner[index], peer) && paced && !MayStartLocked(peer)) return;
        if (Equals(_owner[index], peer)) { _lastSentAt[index] = _clock.GetTimestamp(); return; }
        if (_owner[index] is not null) _sentAgain += _sentToOwner[index]; // the stale owner's part is lost to the swarm
        SetOwnerLocked(index, peer);
        _sentToOwner[index] = 0;
        _suggestedTo[index] = null;
        _lastSentAt[index] = _clock.GetTimestamp(); // a claim goes stale as a piece no block of which leaves does
    }

    /// <summary>We choked the peer: the pieces it claimed and got nothing of are free again (its requests were
    /// rejected or dropped; one it started stays its own until stale).</summary>
    public void Choked(object peer)
    {
        lock (_lock)
        {
            if (_ended || !_inProgressBy.ContainsKey(peer)) return;
            for (var i = 0; i < _owner.Length; i++)
                if (!_out[i] && Equals(_owner[i], peer) && _sentToOwner[i] == 0) SetOwnerLocked(i, null);
        }
    }

    /// <summary>We sent <paramref name="length"/> bytes of piece <paramref name="index"/> to <paramref name="peer"/>.</summary>
    public void Sent(object peer, int index, int length)
    {
        lock (_lock)
        {
            if (_ended || _outCount == _out.Length) return;
            if (_out[index] || _owner[index] is { } owner && !Equals(owner, peer) && !Stale(index))
            {
                _sentAgain += length;
                (_others[index] ??= []).Add(peer); // it may finish the piece: half a piece is of no use to it
                return;
            }
            if (!Equals(_owner[index], peer))
            {
                if (_owner[index] is not null) _sentAgain += _sentToOwner[index]; // the stale owner's part is lost to the swarm
                SetOwnerLocked(index, peer);
                _sentToOwner[index] = 0;
            }
            if (_suggestedTo[index] is not null) _suggestedTo[index] = null; // taken, by whomever
            _lastSentAt[index] = _clock.GetTimestamp();
            _sentToOwner[index] += length;
            if (_sentToOwner[index] >= _pieceLengths[index])
            {
                MarkOutLocked(index);
                WholeLocked(peer, index);
            }
        }
    }

    /// <summary>A peer announced piece <paramref name="index"/> (<c>have</c>, or its bitfield): it holds a copy, from us
    /// or from elsewhere, so the piece has left once.</summary>
    public void PeerHas(object peer, int index)
    {
        lock (_lock)
        {
            HeardFromLocked(peer);
            if (Equals(_owner[index], peer)) AnnouncedByOwnerLocked(peer, index);
            else if (_owner[index] is not null) _seenElsewhere[index] = true;
            if (_out[index]) return;
            if (_owner[index] is null) SetOwnerLocked(index, peer);
            MarkOutLocked(index);
        }
    }

    /// <summary>The peer left. Its unfinished first copies are free again; a piece it finished goes back too when no
    /// connected peer announced it (<paramref name="heldByOthers"/> false): the swarm lost its only copy.</summary>
    public void PeerLeft(object peer, Func<int, bool> heldByOthers)
    {
        lock (_lock)
        {
            _wholes.Remove(peer);
            _unannounced.Remove(peer);
            _lastHeard.Remove(peer);
            if (_suggestions.Remove(peer, out var suggested))
                foreach (var i in suggested) if (Equals(_suggestedTo[i], peer)) _suggestedTo[i] = null;
            for (var i = 0; i < _owner.Length; i++)
            {
                _others[i]?.Remove(peer);
                if (!Equals(_owner[i], peer)) continue;
                if (_out[i])
                {
                    if (_ended || heldByOthers(i)) continue;
                    _out[i] = false;
                    _outCount--;
                    _owner[i] = null;
                }
                else SetOwnerLocked(i, null);
                _sentToOwner[i] = 0;
            }
        }
    }

    /// <summary>Another complete source is in sight (a peer with every piece, or a tracker counting another seed): the
    /// swarm no longer depends on our upload alone, and the rule ends for good.</summary>
    public void AnotherSource()
    {
        lock (_lock) _ended = true;
    }

    /// <summary>A piece to suggest to <paramref name="peer"/> (BEP 6): one it lacks that has not left, has no owner and
    /// was not suggested to another peer (or those went stale); null when there is none or the rule has ended. The piece
    /// counts as suggested to it until taken or stale. The search goes round the torrent, so peers get pieces spread
    /// over it.</summary>
    /// <param name="peer">The peer to suggest to.</param>
    /// <param name="lacks">True for the pieces the peer lacks.</param>
    /// <param name="paced">False: the peer's pace (<see cref="PaceAhead"/>) does not hold the suggestion back (without an
    /// upload limit nothing is held back, and a suggestion only chooses which piece a peer asks for).</param>
    public int? Suggest(object peer, Func<int, bool> lacks, bool paced = true)
    {
        lock (_lock)
        {
            if (_ended || _outCount == _out.Length || paced && !MayStartLocked(peer)) return null;
            var count = _out.Length;
            for (var k = 0; k < count; k++)
            {
                var i = (_cursor + k) % count;
                if (!FreeLocked(i)) continue;
                if (_suggestedTo[i] is not null && _clock.GetElapsedTime(_suggestedAt[i]) < StaleAfter) continue;
                if (!lacks(i)) continue;
                _cursor = (i + 1) % count;
                _suggestedTo[i] = peer;
                _suggestedAt[i] = _clock.GetTimestamp();
                if (!_suggestions.TryGetValue(peer, out var list)) _suggestions[peer] = list = [];
                list.Add(i);
                return i;
            }
            return null;
        }
    }

    /// <summary>Suggestions made to <paramref name="peer"/> that nobody has taken and that are not stale.</summary>
    public int PendingSuggestions(object peer)
    {
        lock (_lock)
        {
            if (!_suggestions.TryGetValue(peer, out var list)) return 0;
            list.RemoveAll(i => !Equals(_suggestedTo[i], peer) || _clock.GetElapsedTime(_suggestedAt[i]) >= StaleAfter);
            return list.Count;
        }
    }

    /// <summary>True when <paramref name="peer"/> may start a new first copy now (its pace allows it) and a piece it
    /// lacks remains that has not left and that nobody is getting: a request of its for a piece another peer got could
    /// make way for one (<see cref="UploadQueue.RejectAgainOnce"/>). The search starts where <see cref="Suggest"/> left
    /// off, past the pieces given out already.</summary>
    /// <param name="peer">The peer whose requests would be rejected.</param>
    /// <param name="lacks">True for the pieces the peer lacks (a peer that came with some of the data may hold every
    /// free piece already).</param>
    public bool CouldStartNew(object peer, Func<int, bool> lacks)
    {
        lock (_lock)
        {
            if (_ended || _outCount == _out.Length || !MayStartLocked(peer)) return false;
            var count = _out.Length;
            for (var k = 0; k < count; k++)
            {
                var i = (_cursor + k) % count;
                if (FreeLocked(i) && lacks(i)) return true;
            }
            return false;
        }
    }

    /// <summary>Piece <paramref name="index"/> has not left once and nobody is getting it (no owner, or a stale one).</summary>
    private bool FreeLocked(int index) => !_out[index] && (_owner[index] is null || Stale(index));

    /// <summary>The peer receiving piece <paramref name="index"/>'s first copy, if any (for tests and logs).</summary>
    public object? OwnerOf(int index) { lock (_lock) return _owner[index]; }

    private bool Stale(int index) => _clock.GetElapsedTime(_lastSentAt[index]) >= StaleAfter;

    private void MarkOutLocked(int index)
    {
        if (_out[index]) return;
        _out[index] = true;
        _outCount++;
        if (_owner[index] is { } owner) CountInProgressLocked(owner, -1);
    }

    /// <summary>Gives a piece that has not left yet to a new owner (or none), keeping the counts of first copies in
    /// progress.</summary>
    private void SetOwnerLocked(int index, object? owner)
    {
        if (_owner[index] is { } previous) CountInProgressLocked(previous, -1);
        _owner[index] = owner;
        if (owner is not null) CountInProgressLocked(owner, +1);
    }

    private void CountInProgressLocked(object owner, int change)
    {
        var count = _inProgressBy.GetValueOrDefault(owner) + change;
        if (count == 0) _inProgressBy.Remove(owner);
        else _inProgressBy[owner] = count;
    }
}
