using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// BEP 16 super-seeding: a complete swarm with DownloadOptions.SuperSeed tells each new peer it has nothing, then
// reveals one piece at a time (SuperSeeder.cs decides which and when; this file sends the haves). Turned on or off
// while it runs (the torrent's handle): peers connected before keep what they were told, and turned off, every
// super-seeded peer hears of every piece it was not told of.
internal sealed partial class TorrentSwarm
{
    private SuperSeeder? _superSeeder; // set once we seed the whole torrent with SuperSeed on
    private int _superSeed = -1;       // the option: the options' until the torrent's handle changes it (TrySetSuperSeed)

    private static readonly TimeSpan SuperSeedTick = TimeSpan.FromSeconds(2);

    /// <summary>True when a connection opened now is super-seeded: the option is on and we have every piece.</summary>
    private bool SuperSeeding
    {
        get
        {
            if (!SuperSeedOn) return false;
            if (Volatile.Read(ref _superSeeder) is not null) return true;
            lock (_writtenLock)
            {
                if (!_written.IsComplete) return false; // a partial seeder or a download: peers see what we have
                if (_superSeeder is null)
                {
                    _superSeeder = new SuperSeeder(Torrent.PieceCount, Time);
                    // Time frees peers too (a piece announced long ago, a silent peer gone stale): a recheck every few seconds.
                    var timer = Time.CreateTimer(_ => Reveal(_superSeeder.Tick()), null, SuperSeedTick, SuperSeedTick);
                    _stop.Token.Register(timer.Dispose);
                }
                return true;
            }
        }
    }

    /// <summary>Whether new peers are super-seeded once we have every piece: <see cref="Downloads.DownloadOptions.SuperSeed"/>,
    /// or as changed since.</summary>
    private bool SuperSeedOn => Volatile.Read(ref _superSeed) is var on and >= 0 ? on == 1 : _options.SuperSeed;

    /// <summary>Turns super-seeding on (for peers that connect from now on, once every piece is here) or off (every
    /// super-seeded peer hears of each piece it was not told of, and may ask for any). False once stopped.</summary>
    internal bool TrySetSuperSeed(bool on)
    {
        if (_stop.IsCancellationRequested) return false;
        Volatile.Write(ref _superSeed, on ? 1 : 0);
        if (!on)
            foreach (var peer in PeersSnapshot())
                EndSuperSeeding(peer);
        return true;
    }

    /// <summary>Starts super-seeding a peer that has just been told we have nothing: reveals its first piece (or, when
    /// super-seeding was turned off meanwhile, tells it everything).</summary>
    private void StartSuperSeeding(SwarmPeer peer)
    {
        peer.SuperSeeded = true;
        Reveal(_superSeeder!.AddPeer(peer));
        if (!SuperSeedOn) EndSuperSeeding(peer);
    }

    /// <summary>A super-seeded peer is one no more: a <c>have</c> for each piece it was not told of (BEP 3 allows no
    /// second bitfield), then it may ask for any.</summary>
    private void EndSuperSeeding(SwarmPeer peer)
    {
        // Two ends at once (the sweep, a peer just started) send a have twice at worst, which BEP 3 peers ignore.
        if (!peer.SuperSeeded) return;
        var untold = WrittenSnapshot().SetIndexes().Where(i => !_superSeeder!.WasOffered(peer, i)).ToList();
        peer.SuperSeeded = false;
        Reveal(_superSeeder!.RemovePeer(peer)); // what it held back from others may go to them now
        foreach (var index in untold) peer.Enqueue(PeerMessage.Have(index));
        _log?.Invoke($"{peer}: super-seeding ends: told of {untold.Count} more piece(s)");
    }

    /// <inheritdoc />
    public void OnSuperSeededPeerHas(SwarmPeer peer, int index) => Reveal(_superSeeder!.PeerHas(peer, index));

    /// <inheritdoc />
    public void OnSuperSeededPeerHad(SwarmPeer peer, Bitfield pieces) => Reveal(_superSeeder!.PeerHad(peer, pieces));

    /// <inheritdoc />
    public bool MayRequest(SwarmPeer peer, int index) => !peer.SuperSeeded || _superSeeder!.WasOffered(peer, index);

    private void StopSuperSeeding(SwarmPeer peer)
    {
        if (peer.SuperSeeded) Reveal(_superSeeder!.RemovePeer(peer));
    }

    private void Reveal(IReadOnlyList<SuperSeeder.Offer> offers)
    {
        foreach (var offer in offers)
        {
            var peer = (SwarmPeer)offer.Peer;
            _log?.Invoke($"{peer}: super-seeding reveals piece {offer.Piece}");
            peer.Enqueue(PeerMessage.Have(offer.Piece));
        }
    }
}
