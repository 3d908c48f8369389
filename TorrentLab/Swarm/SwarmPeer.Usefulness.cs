namespace TorrentLab.Swarm;

// How useful a connection is: when a block last went either way, and whether the peer ignores an unchoke (kept by
// PeerUpload, under its lock). A full swarm makes room for a newcomer by dropping the peer idle the longest
// (TorrentSwarm.Peers.cs), and the choker does not keep an upload slot for a peer that says "interested" but asks for
// nothing while another peer waits for one (TorrentSwarm.Timer.cs): the two together keep idle connections from holding
// a seeder hostage.
internal sealed partial class SwarmPeer
{
    // Timestamps of the swarm's clock.
    private long _lastExchange;     // connection start, then each block given or taken

    /// <summary>How long since a block went either way (or since the connection opened, when none has).</summary>
    public TimeSpan IdleFor => _time.GetElapsedTime(Volatile.Read(ref _lastExchange));

    /// <summary>How long the connection has been open.</summary>
    public TimeSpan Age => _time.GetUtcNow() - ConnectedAt;

    /// <inheritdoc cref="PeerUpload.UnchokedFor"/>
    public TimeSpan? UnchokedFor => _upload.UnchokedFor;

    /// <inheritdoc cref="PeerUpload.IgnoredUnchoke"/>
    public bool IgnoredUnchoke(TimeSpan after) => _upload.IgnoredUnchoke(after);

    /// <summary>A block went either way (we sent it one, or stored one it sent).</summary>
    internal void NoteExchange() => Volatile.Write(ref _lastExchange, _time.GetTimestamp());
}
