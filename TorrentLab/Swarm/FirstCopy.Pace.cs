namespace TorrentLab.Swarm;

// Pacing (BEP 16's one idea, without hiding pieces): a peer that got whole first copies nobody else has announced yet
// starts no new one ahead of peers that have none unspread, so the seed's pieces go to the peers that pass them on. It
// orders, never withholds: its requests are Paced (RequestClass), which under an upload limit take the tokens peers with
// first copies to ask for leave, and without a limit go as asked (PeerUpload.DrainAsync).
internal sealed partial class FirstCopy
{
    /// <summary>How long after a piece left whole it counts as spread, whoever announced it.</summary>
    public static readonly TimeSpan SpreadAfter = TimeSpan.FromSeconds(10);

    private readonly long[] _wholeAt;          // when the piece left whole to its owner (a timestamp of _clock)
    private readonly bool[] _seenElsewhere;    // a peer other than its owner announced it
    private readonly Dictionary<object, List<int>> _wholes = [];      // per owner: pieces it got whole, maybe not spread yet
    private readonly Dictionary<object, List<int>> _unannounced = []; // per owner: pieces it got whole and has not announced

    /// <summary>How many first copies a peer may hold unspread (coming, or whole and not yet spread) before it starts
    /// another. No value was clearly better in the trials (bench/notes/lone-seed.md); one keeps a peer to one unspread piece, as a
    /// BEP 16 super-seed reveals one piece at a time.</summary>
    public const int PaceAhead = 1;

    /// <summary>The connected peers other than the first argument that lack the piece (the swarm's view); null: no
    /// pacing (nobody to spread to is assumed).</summary>
    public Func<object, int, IReadOnlyList<object>>? OthersLacking { get; set; }

    private void WholeLocked(object peer, int index)
    {
        _wholeAt[index] = _clock.GetTimestamp();
        if (!_wholes.TryGetValue(peer, out var wholes)) _wholes[peer] = wholes = [];
        wholes.Add(index);
        if (!_unannounced.TryGetValue(peer, out var unannounced)) _unannounced[peer] = unannounced = [];
        unannounced.Add(index);
    }

    private void AnnouncedByOwnerLocked(object peer, int index)
    {
        if (_unannounced.TryGetValue(peer, out var list)) list.Remove(index);
    }

    /// <summary>True when the peer may start a new first copy: it holds fewer than <see cref="PaceAhead"/> first copies
    /// that are still coming or have not spread (announced by another peer, or <see cref="SpreadAfter"/> old, or nobody
    /// left who lacks them but hoarders).</summary>
    private bool MayStartLocked(object peer)
    {
        if (OthersLacking is null) return true;
        var inHand = _inProgressBy.GetValueOrDefault(peer);
        if (inHand >= PaceAhead) return !AnyoneToSpreadToAtAllLocked(peer);
        if (_wholes.TryGetValue(peer, out var wholes))
        {
            wholes.RemoveAll(i => _seenElsewhere[i] || _clock.GetElapsedTime(_wholeAt[i]) >= SpreadAfter || !AnyoneToSpreadToLocked(peer, i));
            inHand += wholes.Count;
        }
        return inHand < PaceAhead;
    }

    /// <summary>True when another connected peer, not a hoarder, could take pieces from this one at all (a lone
    /// downloader is never paced).</summary>
    private bool AnyoneToSpreadToAtAllLocked(object peer) => AnyoneToSpreadToLocked(peer, -1);

    /// <param name="owner">The peer holding the piece.</param>
    /// <param name="index">The piece; -1: any.</param>
    private bool AnyoneToSpreadToLocked(object owner, int index)
    {
        foreach (var other in OthersLacking!(owner, index))
            if (!HoarderLocked(other) && HeardLocked(other)) return true;
        return false;
    }

    private readonly Dictionary<object, long> _lastHeard = []; // per peer: its last request or have (a timestamp of _clock)

    /// <summary>Notes that the peer asked for a block or announced a piece: it takes part.</summary>
    private void HeardFromLocked(object peer) => _lastHeard[peer] = _clock.GetTimestamp();

    /// <summary>True when the peer asked or announced something within <see cref="StaleAfter"/>: a silent peer is
    /// nobody to pass pieces to (it may never ask).</summary>
    private bool HeardLocked(object peer) => _lastHeard.TryGetValue(peer, out var at) && _clock.GetElapsedTime(at) < StaleAfter;

    /// <summary>A peer that got a whole first copy <see cref="StaleAfter"/> ago and never announced it: nobody waits to
    /// pass pieces to it.</summary>
    private bool HoarderLocked(object peer)
    {
        if (!_unannounced.TryGetValue(peer, out var list)) return false;
        foreach (var index in list)
            if (_clock.GetElapsedTime(_wholeAt[index]) >= StaleAfter) return true;
        return false;
    }
}
