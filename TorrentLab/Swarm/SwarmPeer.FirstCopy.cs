using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

// A lone seed's first copy (FirstCopy.cs decides, UploadQueue.cs orders): what the swarm asks of a peer's queue.
internal sealed partial class SwarmPeer
{
    /// <summary>True while requests of its wait for other peers' first copies (the swarm wakes its sender each tick).</summary>
    public bool Holding { get { lock (_sendLock) return _uploads.Holding; } }

    /// <summary>True when all it asks of us waits (for other peers' first copies, or for its own to spread): an upload
    /// slot it holds is better used by another peer meanwhile.</summary>
    public bool OnlyWaits { get { lock (_sendLock) return !_choking && _uploads.OnlyWaiting; } }

    /// <summary>True when it has requests for first copies queued that may be served now.</summary>
    public bool WaitsForFirstCopies
    {
        get
        {
            if (_swarm.FirstCopy is not { Active: true } first) return false;
            lock (_sendLock) return _uploads.HasFirstCopies(first, _mayServe);
        }
    }

    /// <summary>Wakes the sender, to look at its waiting requests again.</summary>
    public void WakeSender() => _wake.Writer.TryWrite(true);

    /// <summary>Queued requests (for tests).</summary>
    internal int QueuedRequests { get { lock (_sendLock) return _uploads.Count; } }

    private readonly HashSet<int> _rejectedForAnother = []; // pieces refused once for another's first copy (under _sendLock)

    /// <summary>While a lone seed's first copy goes out, a request (BEP 6) for a piece another peer is getting is
    /// rejected, once per piece: the peer picks another piece (libtorrent takes one we suggested) instead of waiting
    /// for this one. Asked again, it is queued and waits (UploadQueue.HoldLimit). Under _sendLock.</summary>
    private bool RejectedForAnotherLocked(BlockRequest request)
    {
        if (!TorrentLab.Pieces.BenchSwitch.RejectAgain || !Connection.FastAgreed || _choking) return false;
        if (_swarm.FirstCopy is not { Active: true } first || first.Classify(this, request.Index) != RequestClass.Again) return false;
        if (_rejectedForAnother.Contains(request.Index) && !_rejectingNow.Contains(request.Index)) return false;
        _rejectedForAnother.Add(request.Index);
        _rejectingNow.Add(request.Index);
        RejectLocked(request);
        _wake.Writer.TryWrite(true);
        return true;
    }

    private readonly HashSet<int> _rejectingNow = []; // rejected in the batch being read: its other blocks go the same way

    /// <summary>The messages read together are handled: a piece rejected among them is refused only once.</summary>
    private void EndOfReceiveBatch()
    {
        if (_rejectingNow.Count == 0) return;
        lock (_sendLock) _rejectingNow.Clear();
    }

    /// <summary>True for a piece whose requests may be served now: it is unchoked, or the piece is in its allowed fast
    /// set (under _sendLock).</summary>
    private bool MayServe(int index) => !_choking || AllowedWhileChoked(index);
}
