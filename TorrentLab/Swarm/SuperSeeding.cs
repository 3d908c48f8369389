using TorrentLab.Downloads;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>BEP 16 super-seeding, the swarm's part of it: a complete swarm with
/// <see cref="Downloads.DownloadOptions.SuperSeed"/> tells each new peer it has nothing, then reveals one piece at a
/// time (<see cref="SuperSeeder"/> decides which and when; this part sends the haves).</summary>
/// <remarks>Turned on or off while it runs (the torrent's handle): peers connected before keep what they were told, and
/// turned off, every super-seeded peer hears of every piece it was not told of.</remarks>
internal sealed class SuperSeeding
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(2);

    private readonly TorrentSwarm _swarm;
    private readonly bool _option;         // DownloadOptions.SuperSeed
    private readonly Lock _startLock = new();
    private SuperSeeder? _seeder;          // set once we seed the whole torrent with super-seeding on
    private int _on = -1;                  // the option: the options' until the torrent's handle changes it (Set)

    public SuperSeeding(TorrentSwarm swarm, bool option)
    {
        _swarm = swarm;
        _option = option;
    }

    /// <summary>Whether new peers are super-seeded once we have every piece: the option, or as changed since.</summary>
    public bool On => Volatile.Read(ref _on) is var on and >= 0 ? on == 1 : _option;

    /// <summary>True once a connection was super-seeded: the upload slots stay at the configured ones from then on.</summary>
    public bool Started => Volatile.Read(ref _seeder) is not null;

    /// <summary>True when a connection opened now is super-seeded: the option is on and we have every piece.</summary>
    public bool ForNewPeer
    {
        get
        {
            if (!On) return false;
            if (Started) return true;
            if (!_swarm.HasEveryPiece) return false; // a partial seeder or a download: peers see what we have
            lock (_startLock)
            {
                if (_seeder is null)
                {
                    var seeder = _seeder = new SuperSeeder(_swarm.Torrent.PieceCount, _swarm.Time);
                    // Time frees peers too (a piece announced long ago, a silent peer gone stale): a recheck every few seconds.
                    var timer = _swarm.Time.CreateTimer(_ => Reveal(seeder.Tick()), null, Tick, Tick);
                    _swarm.Stopping.Register(timer.Dispose);
                }
                return true;
            }
        }
    }

    /// <summary>Turns super-seeding on (for peers that connect from now on, once every piece is here) or off (every
    /// super-seeded peer hears of each piece it was not told of, and may ask for any).</summary>
    public void Set(bool on, IEnumerable<SwarmPeer> peers)
    {
        Volatile.Write(ref _on, on ? 1 : 0);
        if (!on)
            foreach (var peer in peers)
                End(peer);
    }

    /// <summary>Starts super-seeding a peer that has just been told we have nothing: reveals its first piece (or, when
    /// super-seeding was turned off meanwhile, tells it everything).</summary>
    public void Start(SwarmPeer peer)
    {
        peer.SuperSeeded = true;
        Reveal(_seeder!.AddPeer(peer));
        if (!On) End(peer);
    }

    /// <summary>A super-seeded peer is one no more: a <c>have</c> for each piece it was not told of (BEP 3 allows no
    /// second bitfield), then it may ask for any.</summary>
    private void End(SwarmPeer peer)
    {
        // Two ends at once (the sweep, a peer just started) send a have twice at worst, which BEP 3 peers ignore.
        if (!peer.SuperSeeded) return;
        var untold = _swarm.WrittenSnapshot().SetIndexes().Where(i => !_seeder!.WasOffered(peer, i)).ToList();
        peer.SuperSeeded = false;
        Reveal(_seeder!.RemovePeer(peer)); // what it held back from others may go to them now
        foreach (var index in untold) peer.Enqueue(PeerMessage.Have(index));
        _swarm.Log($"{peer}: super-seeding ends: told of {untold.Count} more piece(s)");
    }

    /// <summary>A super-seeded peer announced piece <paramref name="index"/> with <c>have</c> (BEP 16: it may have spread).</summary>
    public void PeerHas(SwarmPeer peer, int index) => Reveal(_seeder!.PeerHas(peer, index));

    /// <summary>A super-seeded peer's bitfield or <c>have all</c>: the pieces it had before we revealed any.</summary>
    public void PeerHad(SwarmPeer peer, Bitfield pieces) => Reveal(_seeder!.PeerHad(peer, pieces));

    /// <summary>False when a super-seeded peer asks for piece <paramref name="index"/> we have not revealed to it.</summary>
    public bool MayRequest(SwarmPeer peer, int index) => !peer.SuperSeeded || _seeder!.WasOffered(peer, index);

    /// <summary>A peer left: what it held back from others may go to them now.</summary>
    public void PeerLeft(SwarmPeer peer)
    {
        if (peer.SuperSeeded) Reveal(_seeder!.RemovePeer(peer));
    }

    private void Reveal(IReadOnlyList<SuperSeeder.Offer> offers)
    {
        foreach (var offer in offers)
        {
            var peer = (SwarmPeer)offer.Peer;
            _swarm.Log($"{peer}: super-seeding reveals piece {offer.Piece}");
            _swarm.Moment(PieceMapMomentKind.SuperSeedRevealed, peer, offer.Piece);
            peer.Enqueue(PeerMessage.Have(offer.Piece));
        }
    }
}
