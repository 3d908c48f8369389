using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

/// <summary>Who sent what: the peers credited with a verified piece, and those blamed for a bad one (banned once
/// proven: a sole sender, or a block that differs from the copy that verified later).</summary>
internal sealed class PieceBlame
{
    private readonly TorrentSwarm _swarm;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _peersUsed = [];  // guarded by _lock
    private readonly HashSet<int> _failedPieces = []; // last copy failed its hash; guarded by _lock

    public PieceBlame(TorrentSwarm swarm)
    {
        _swarm = swarm;
        Senders = new PieceSenderTable(swarm.Torrent.PieceCount);
    }

    /// <summary>Who sent each verified piece, for the piece map.</summary>
    public PieceSenderTable Senders { get; }

    /// <summary>Pieces whose last copy failed its hash and that are not verified yet (for the piece map).</summary>
    public int[] FailedSnapshot() { lock (_lock) return [.. _failedPieces]; }

    /// <summary>Peers that sent blocks of at least one verified piece.</summary>
    public IReadOnlyList<string> PeersUsed { get { lock (_lock) return [.. _peersUsed]; } }

    /// <summary>A piece was written: its senders count as used, and it failed no more.</summary>
    public void Verified(VerifiedPiece piece)
    {
        lock (_lock)
        {
            foreach (var sender in piece.Senders) _peersUsed.Add(sender.Name); // a peer's address, a web seed's URL
            _failedPieces.Remove(piece.Index);
        }
        if (piece.MainSender is { } main)
            Senders.Record(piece.Index, main.Name, (main as SwarmPeer)?.Client, several: piece.Senders.Count > 1);
    }

    /// <summary>A piece failed its hash. Its proven culprits (a sole sender) are banned; with several senders nobody
    /// is blamed yet: the piece manager fetches it again from one peer and names the liars once a copy verifies.</summary>
    public void PieceFailed(int index, IReadOnlyList<IBlockSource> contributors, IReadOnlyList<IBlockSource> culprits)
    {
        lock (_lock) _failedPieces.Add(index);
        _swarm.Log($"piece {index} failed its SHA-1 check (sent by {string.Join(", ", contributors)})" +
            (culprits.Count == 0 ? "; fetching it again from one peer to find who lied" : ""));
        foreach (var culprit in culprits.OfType<SwarmPeer>())
            BanCulprit(culprit, $"sent data failing the SHA-1 check of piece {index} (sole sender)");
        foreach (var seed in contributors.OfType<WebSeed>()) seed.OnBadPiece(index); // a server is backed off, not banned
    }

    /// <summary>A piece verified after failing: the peers whose blocks in the failed copy differ from the good data lied.</summary>
    public void BadBlocksFound(int index, IReadOnlyList<IBlockSource> culprits)
    {
        foreach (var culprit in culprits.OfType<SwarmPeer>())
            BanCulprit(culprit, $"sent blocks of piece {index} that differ from the verified data");
    }

    /// <summary>Bans a peer proven to have lied: dropped if still connected, else banned by address and id.</summary>
    private void BanCulprit(SwarmPeer culprit, string reason)
    {
        if (_swarm.PeersSnapshot().Contains(culprit)) _swarm.BanPeer(culprit, reason);
        else _swarm.Ban(culprit.Connection.RemoteEndPoint, culprit.Connection.RemotePeerId, reason);
    }
}
