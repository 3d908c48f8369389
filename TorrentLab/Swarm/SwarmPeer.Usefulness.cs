namespace TorrentLab.Swarm;

// How useful a connection is: when a block last went either way, and whether the peer ignores an unchoke. A full
// swarm makes room for a newcomer by dropping the peer idle the longest (TorrentSwarm.Peers.cs), and the choker
// does not keep an upload slot for a peer that says "interested" but asks for nothing while another peer waits for one
// (TorrentSwarm.Timer.cs): the two together keep idle connections from holding a seeder hostage.
internal sealed partial class SwarmPeer
{
    // Timestamps of the swarm's clock.
    private long _lastExchange;     // connection start, then each block given or taken
    private long _unchokedAt;       // our last unchoke; 0 while choking
    private long _lastRequestAt;    // its last request
    private bool _ignoredUnchoke;   // unchoked, interested, and asked for nothing

    /// <summary>How long since a block went either way (or since the connection opened, when none has).</summary>
    public TimeSpan IdleFor => _time.GetElapsedTime(Volatile.Read(ref _lastExchange));

    /// <summary>How long the connection has been open.</summary>
    public TimeSpan Age => _time.GetUtcNow() - ConnectedAt;

    /// <summary>How long we have kept it unchoked; null while it is choked.</summary>
    public TimeSpan? UnchokedFor
    {
        get { lock (_sendLock) return _choking || _unchokedAt == 0 ? null : _time.GetElapsedTime(_unchokedAt); }
    }

    private void NoteExchange() => Volatile.Write(ref _lastExchange, _time.GetTimestamp());

    /// <summary>True when we unchoked it at least <paramref name="after"/> ago and it has not sent a request since; it
    /// stays marked (even once choked again) until it sends one, so the choker tries others first.</summary>
    public bool IgnoredUnchoke(TimeSpan after)
    {
        lock (_sendLock)
        {
            if (!_choking && _unchokedAt != 0 && _time.GetElapsedTime(_unchokedAt) >= after
                && _lastRequestAt < _unchokedAt)
                _ignoredUnchoke = true;
            return _ignoredUnchoke;
        }
    }

    /// <summary>Called under the send lock when the choke decision changes.</summary>
    private void NoteChokingLocked(bool choke) => _unchokedAt = choke ? 0 : _time.GetTimestamp();

    /// <summary>Called under the send lock for each request it sends.</summary>
    private void NoteRequestLocked()
    {
        _lastRequestAt = _time.GetTimestamp();
        _ignoredUnchoke = false;
    }
}
