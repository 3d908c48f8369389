namespace TorrentLab.Swarm;

// A lone seed's first copy (FirstCopy.cs decides, UploadQueue.cs orders): what the swarm asks of a peer's queue.
internal sealed partial class SwarmPeer
{
    /// <summary>True while requests of its wait for other peers' first copies (the swarm wakes its sender each tick).</summary>
    public bool Holding { get { lock (_sendLock) return _uploads.Holding; } }

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

    /// <summary>True for a piece whose requests may be served now: it is unchoked, or the piece is in its allowed fast
    /// set (under _sendLock).</summary>
    private bool MayServe(int index) => !_choking || AllowedWhileChoked(index);
}
