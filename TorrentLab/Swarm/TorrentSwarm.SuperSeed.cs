using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// BEP 16 super-seeding: a complete swarm with DownloadOptions.SuperSeed tells each new peer it has nothing, then
// reveals one piece at a time (SuperSeeder.cs decides which and when; this file sends the haves).
internal sealed partial class TorrentSwarm
{
    private SuperSeeder? _superSeeder; // set once we seed the whole torrent with SuperSeed on

    private static readonly TimeSpan SuperSeedTick = TimeSpan.FromSeconds(2);

    /// <summary>True when a connection opened now is super-seeded: the option is on and we have every piece.</summary>
    private bool SuperSeeding
    {
        get
        {
            if (!_options.SuperSeed) return false;
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

    /// <summary>Starts super-seeding a peer that has just been told we have nothing: reveals its first piece.</summary>
    private void StartSuperSeeding(SwarmPeer peer)
    {
        peer.SuperSeeded = true;
        Reveal(_superSeeder!.AddPeer(peer));
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
