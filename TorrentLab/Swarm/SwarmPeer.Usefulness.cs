namespace TorrentLab.Swarm;

// How useful a connection is: when a block last went either way, and whether the peer ignores an unchoke. A full
// swarm makes room for a newcomer by dropping the peer idle the longest (TorrentSwarm.Peers.cs), and the choker
// does not keep an upload slot for a peer that says "interested" but asks for nothing (TorrentSwarm.Timer.cs): the
// two together keep idle connections from holding a seeder hostage.
internal sealed partial class SwarmPeer
{
    private long _lastExchange = Environment.TickCount64;   // connection start, then each block given or taken
    private long _unchokedAt;                                // TickCount64 of our last unchoke; 0 while choking
    private long _lastRequestAt;                             // TickCount64 of its last request
    private bool _ignoredUnchoke;                            // unchoked, interested, and asked for nothing

    /// <summary>How long since a block went either way (or since the connection opened, when none has).</summary>
    public TimeSpan IdleFor => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastExchange));

    /// <summary>How long the connection has been open.</summary>
    public TimeSpan Age => DateTimeOffset.UtcNow - ConnectedAt;

    private void NoteExchange() => Volatile.Write(ref _lastExchange, Environment.TickCount64);

    /// <summary>True when we unchoked it at least <paramref name="after"/> ago and it has not sent a request since; it
    /// stays marked (even once choked again) until it sends one, so the choker tries others first.</summary>
    public bool IgnoredUnchoke(TimeSpan after)
    {
        lock (_sendLock)
        {
            if (!_choking && _unchokedAt != 0 && Environment.TickCount64 - _unchokedAt >= after.TotalMilliseconds
                && _lastRequestAt < _unchokedAt)
                _ignoredUnchoke = true;
            return _ignoredUnchoke;
        }
    }

    /// <summary>Called under the send lock when the choke decision changes.</summary>
    private void NoteChokingLocked(bool choke) => _unchokedAt = choke ? 0 : Environment.TickCount64;

    /// <summary>Called under the send lock for each request it sends.</summary>
    private void NoteRequestLocked()
    {
        _lastRequestAt = Environment.TickCount64;
        _ignoredUnchoke = false;
    }
}
