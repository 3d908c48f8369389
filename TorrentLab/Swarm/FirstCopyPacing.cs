using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>A lone seed's first copy, the swarm's part of it: a swarm that starts with every piece, and no other
/// complete source in sight, sends each piece once before any twice (<see cref="FirstCopy"/> decides; this part tells it
/// what the peers announce and when they leave, widens the choker's slots, and suggests pieces with BEP 6).</summary>
internal sealed class FirstCopyPacing
{
    /// <summary>Pieces suggested ahead to each unchoked peer that speaks BEP 6: one to ask for now, one for after.</summary>
    private const int SuggestAhead = 2;

    /// <summary>Suggestions not yet taken that a peer is kept ahead by without an upload limit, at most: as many as a
    /// receiver keeps (libtorrent's <c>max_suggest_pieces</c>, our <c>PieceManager</c>'s too). A downloader on loopback
    /// starts pieces many at a time (our pipeline: up to 384 blocks, 24 pieces of 256 KiB): with 4 ahead, two of ours
    /// that knew only the seed still got 1.32 F from it before every piece had left once.</summary>
    private const int SuggestAheadUncapped = 16;

    /// <summary>Without an upload limit a peer is kept as many suggestions ahead as it takes pieces from us in this
    /// time at its rate so far: half of <see cref="FirstCopy.StaleAfter"/>, so a suggestion is taken before it goes stale
    /// and is given to another.</summary>
    private static readonly TimeSpan SuggestWithin = FirstCopy.StaleAfter / 2;

    /// <summary>Most regular upload slots while a lone seed's first copy goes out, over the configured ones.</summary>
    private const int SlotFactor = 4;

    private readonly TorrentSwarm _swarm;

    /// <summary>Starts the rule for a swarm that seeds every piece from the start (not for a finished download: its
    /// pieces came from another source, which may still be there), and not for a super-seed.</summary>
    public FirstCopyPacing(TorrentSwarm swarm, Metainfo.Torrent torrent, Bitfield have, bool downloading, bool superSeed)
    {
        _swarm = swarm;
        if (downloading || !have.IsComplete || superSeed) return;
        var lengths = new int[torrent.PieceCount];
        for (var i = 0; i < lengths.Length; i++) lengths[i] = torrent.GetPieceLength(i);
        Rule = new FirstCopy(lengths, swarm.Time);
        Rule.OthersLacking = (owner, piece) =>
        {
            var lacking = new List<object>();
            foreach (var peer in swarm.PeersSnapshot())
                if (peer != owner && peer.Connection.PeerPieces is { } has && (piece < 0 ? !has.IsComplete : !has[piece])) lacking.Add(peer);
            return lacking;
        };
    }

    /// <summary>The rule (which requests go first), while the swarm seeds every piece from the start; null otherwise.</summary>
    public FirstCopy? Rule { get; }

    /// <summary>The choker's regular slots: while the first copy goes out, one for every interested peer (up to
    /// <see cref="SlotFactor"/> times the configured slots), so the pieces the seed sends once are spread over
    /// as many peers as can pass them on (a super-seeding seed keeps every peer unchoked the same way).</summary>
    /// <param name="interested">Interested peers that did not ignore their last unchoke.</param>
    /// <param name="regular">The regular slots as configured.</param>
    public int Slots(int interested, int regular)
    {
        if (Rule is not { Active: true }) return regular;
        return Math.Max(regular, Math.Min(interested - 1, SlotFactor * (regular + 1) - 1));
    }

    /// <summary>True when the first copy would give more regular slots to the interested peers than the choker has now
    /// (<paramref name="now"/>): a round should run at once rather than at its time.</summary>
    /// <param name="interested">Counts the interested peers (as <see cref="Slots"/> takes them); called only while the
    /// first copy goes out, as the count walks every peer.</param>
    /// <param name="regular">The regular slots as configured.</param>
    /// <param name="now">The regular slots the choker has now.</param>
    public bool Widens(Func<int> interested, int regular, int now) => Rule is { Active: true } && Slots(interested(), regular) > now;

    /// <summary>A peer with every piece: another complete source, so our first copy no longer bounds the swarm.</summary>
    public void CompleteSourceSeen()
    {
        if (Rule is not { } first) return;
        var wasActive = first.Active; // false too when its bitfield made every piece count as out: it ends for good all the same
        first.AnotherSource();
        if (wasActive) _swarm.Log("another complete source in sight: pieces are served as asked");
    }

    /// <summary>A peer left: the first copies it took without passing them on are free again.</summary>
    public void PeerLeft(SwarmPeer peer) => Rule?.PeerLeft(peer, i => _swarm.Pieces.Availability(i) > 0);

    /// <summary>Each tick: a tracker that counts another seed ends the rule; unchoked peers get their suggestions topped
    /// up. (Senders whose requests wait behind other peers' first copies look again on their own: see
    /// PeerUpload.DrainAsync.)</summary>
    public void Tick()
    {
        if (Rule is not { } first || !first.Active) return;
        if (_swarm.TrackerSeeders > 1) CompleteSourceSeen();
        foreach (var peer in _swarm.PeersSnapshot())
            if (!peer.Choking) Suggest(peer);
    }

    /// <summary>Tells the peer (BEP 6 <c>suggest</c>) of pieces nobody has been sent, up to <see cref="SuggestAhead"/>
    /// not yet taken (without an upload limit, <see cref="SuggestionsAhead"/> at the peer's rate), so peers that honour
    /// suggestions ask for different pieces.</summary>
    /// <remarks>Under an upload limit a suggestion waits for the peer's pace (<see cref="FirstCopy.PaceAhead"/>), as its
    /// requests do. Without one nothing is held back, the peer's pace does not apply, and a suggestion only chooses which
    /// piece a peer asks for next: a downloader that takes a piece a second from a loopback seed took one suggestion and
    /// picked the rest at random, and two that knew only the seed got 1.31 F from it before every piece had left once
    /// (issue 84's bound for our downloaders: 1.05).</remarks>
    public void Suggest(SwarmPeer peer)
    {
        if (Rule is not { Active: true } first || !peer.Connection.FastAgreed || peer.Connection.PeerPieces is not { } has) return;
        var paced = _swarm.UploadLimit is { IsLimited: true };
        var ahead = paced ? SuggestAhead : SuggestionsAhead(peer.Up.BytesPerSecond, _swarm.Torrent.PieceLength);
        for (var pending = first.PendingSuggestions(peer); pending < ahead; pending++)
        {
            if (first.Suggest(peer, i => !has[i], paced) is not { } index) return;
            peer.Enqueue(PeerMessage.Suggest(index));
        }
    }

    /// <summary>Without an upload limit, the suggestions a peer taking <paramref name="rate"/> bytes a second from us is
    /// kept ahead by: the pieces it takes in <see cref="SuggestWithin"/>, from <see cref="SuggestAhead"/> (a peer we have
    /// sent nothing yet) to <see cref="SuggestAheadUncapped"/> (loopback).</summary>
    /// <remarks>Sixteen to each peer from its unchoke, whatever its rate, was right on loopback and wrong where the
    /// seed's own line is what limits it with no limit set (a home uplink): the first four of eight peers, taking a
    /// piece every two seconds each, held every piece of a 64-piece torrent as suggestions; most went stale before they
    /// were taken and were given again, and the four unchoked after them had none and asked for pieces on their way to
    /// others. On the simulated network (bench/notes/lone-seed.md, "Suggestions at the peer's rate") eight downloaders
    /// behind a 1 MiB/s seed line read 1.56-1.67 T_min with the seed sending 1.54 F or more; at the peer's rate
    /// 1.24-1.27.</remarks>
    private static int SuggestionsAhead(double rate, int pieceLength) =>
        (int)Math.Clamp(Math.Ceiling(rate * SuggestWithin.TotalSeconds / pieceLength), SuggestAhead, SuggestAheadUncapped);

    /// <summary>The peer asked for a block of piece <paramref name="index"/> (<see cref="FirstCopy.Asked"/>, which the
    /// peer's pace holds back only under an upload limit); when that takes one of its suggestions and nothing is
    /// paced, the next follows at once (a tick later, a fast downloader has picked pieces of its own).</summary>
    public void Asked(SwarmPeer peer, int index)
    {
        if (Rule is not { } first) return;
        var paced = _swarm.UploadLimit is { IsLimited: true };
        if (first.Asked(peer, index, paced) && !paced) Suggest(peer);
    }
}
