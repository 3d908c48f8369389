using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// A lone seed's first copy (FirstCopy.cs): a swarm that starts with every piece, and no other complete source in
// sight, sends each piece once before any twice. This file tells FirstCopy what the peers announce and when they
// leave, and suggests pieces (BEP 6).
internal sealed partial class TorrentSwarm
{
    /// <summary>Pieces suggested ahead to each unchoked peer that speaks BEP 6: one to ask for now, one for after.</summary>
    private const int SuggestAhead = 2;

    /// <inheritdoc />
    public FirstCopy? FirstCopy { get; private set; }

    /// <summary>Starts the rule for a swarm that seeds every piece from the start (not for a finished download: its
    /// pieces came from another source, which may still be there).</summary>
    private void StartFirstCopy(Metainfo.Torrent torrent, Bitfield have, bool downloading)
    {
        if (downloading || !have.IsComplete || _options.SuperSeed) return;
        var lengths = new int[torrent.PieceCount];
        for (var i = 0; i < lengths.Length; i++) lengths[i] = torrent.GetPieceLength(i);
        FirstCopy = new FirstCopy(lengths, Time);
        FirstCopy.OthersLacking = (owner, piece) =>
        {
            var lacking = new List<object>();
            foreach (var peer in PeersSnapshot())
                if (peer != owner && peer.Connection.PeerPieces is { } has && (piece < 0 ? !has.IsComplete : !has[piece])) lacking.Add(peer);
            return lacking;
        };
    }

    /// <summary>Most regular upload slots while a lone seed's first copy goes out, over the configured ones.</summary>
    private const int FirstCopySlotFactor = 4;

    /// <summary>The choker's regular slots: while the first copy goes out, one for every interested peer (up to
    /// <see cref="FirstCopySlotFactor"/> times the configured slots), so the pieces the seed sends once are spread over
    /// as many peers as can pass them on (a super-seeding seed keeps every peer unchoked the same way).</summary>
    private int FirstCopySlots(IReadOnlyList<ChokeCandidate> candidates, int regular)
    {
        if (FirstCopy is not { Active: true }) return regular;
        var interested = candidates.Count(c => c.Interested && !c.Deferred);
        return Math.Max(regular, Math.Min(interested - 1, FirstCopySlotFactor * (regular + 1) - 1));
    }

    /// <inheritdoc />
    public void OnPeerAnnounced(SwarmPeer peer, int index) => FirstCopy?.PeerHas(peer, index);

    /// <summary>A peer with every piece: another complete source, so our first copy no longer bounds the swarm.</summary>
    private void OnCompleteSourceSeen()
    {
        if (FirstCopy is not { } first) return;
        var wasActive = first.Active; // false too when its bitfield made every piece count as out: it ends for good all the same
        first.AnotherSource();
        if (wasActive) _log?.Invoke("another complete source in sight: pieces are served as asked");
    }

    /// <summary>A peer left: the first copies it took without passing them on are free again.</summary>
    private void FirstCopyPeerLeft(SwarmPeer peer) => FirstCopy?.PeerLeft(peer, i => Pieces.Availability(i) > 0);

    /// <summary>Each tick: a tracker that counts another seed ends the rule; unchoked peers get their suggestions topped
    /// up. (Senders whose requests wait behind other peers' first copies look again on their own: see
    /// SwarmPeer.DrainAsync.)</summary>
    private void TickFirstCopy()
    {
        if (FirstCopy is not { } first || !first.Active) return;
        if ((_announcer ?? _owner?.Announcer)?.Seeders > 1) OnCompleteSourceSeen();
        foreach (var peer in PeersSnapshot())
            if (!peer.Choking) SuggestFirstCopies(peer);
    }

    /// <summary>Tells the peer (BEP 6 <c>suggest</c>) of pieces nobody has been sent, up to <see cref="SuggestAhead"/>
    /// not yet taken, so peers that honour suggestions ask for different pieces.</summary>
    private void SuggestFirstCopies(SwarmPeer peer)
    {
        if (FirstCopy is not { Active: true } first || !peer.Connection.FastAgreed || peer.Connection.PeerPieces is not { } has) return;
        for (var pending = first.PendingSuggestions(peer); pending < SuggestAhead; pending++)
        {
            if (first.Suggest(peer, i => !has[i]) is not { } index) return;
            peer.Enqueue(PeerMessage.Suggest(index));
        }
    }
}
