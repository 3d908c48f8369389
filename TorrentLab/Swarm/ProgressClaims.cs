namespace TorrentLab.Swarm;

/// <summary>One peer's claimed progress (its bitfield, have all and haves) against what it takes from us: a peer that
/// lies about its progress (to look like a seed, or to hide how much it downloads, qBittorrent #10258) is named with
/// a reason. Thread-safe: the receive loop reports claims and requests, the sender the blocks sent.</summary>
/// <remarks>
/// <para>Two lies give a peer away. It asks for blocks of a piece it says it has: no honest client requests a piece it
/// announced (BEP 3: a <c>have</c> follows the piece's hash check, and a client's requests for a piece it completes
/// are cancelled, not sent; BEP 54's <c>lt_donthave</c> takes a piece back first). Or it takes far more than its
/// claims grow by: a downloader announces each piece it verifies, so what it claims grows with what it takes.</para>
/// <para>The second rule leaves room for honest lag: a peer announces only verified pieces, so blocks in our socket
/// buffers, in its own, and in pieces it has not finished yet count as taken but not claimed (up to 16 MiB for
/// libtorrent on loopback; a whole request queue, 31.25 MiB, for Transmission, which announces once a second);
/// <see cref="Margin"/> is <see cref="LagPieces"/> pieces but at least
/// <see cref="MinMarginBytes"/>. Past that, a peer may take twice what its claims grew by: endgame duplicates and a
/// piece it downloaded from a bad peer too and failed (then fetched again) are waste an honest peer makes, never half
/// of it. A liar that claims nothing is caught after taking <see cref="Margin"/>; one that announces a third of what it
/// takes, after its claims grew by the margin. A torrent smaller than the margin can be taken whole by a liar that
/// claims nothing: the cost of never flagging an honest one.</para>
/// </remarks>
/// <param name="pieceLength">The torrent's piece length.</param>
/// <param name="totalLength">The torrent's size.</param>
/// <param name="pieceCount">The torrent's piece count.</param>
internal sealed class ProgressClaims(int pieceLength, long totalLength, int pieceCount)
{
    /// <summary>Requests for pieces it claims that are let pass (it gets its blocks) before the peer is named: none is
    /// honest, but two cost 32 KiB and spare a client whose race we have not thought of.</summary>
    public const int ClaimedRequestsAllowed = 2;

    /// <summary>Pieces a peer may hold unannounced (in buffers or not yet verified) without being named.</summary>
    public const int LagPieces = 8;

    /// <summary>Bytes a peer may take unannounced at least: the socket buffers of both ends on a fast link (Linux grows
    /// each to 4-6 MiB), its disk and hash queues, and a whole request queue taken between two of its batches of haves.
    /// An honest libtorrent downloading 64 MiB from us on loopback held up to 15.8 MiB unannounced (taken minus twice its
    /// claims' growth: 5.1 MiB at most); aria2 and rtorrent up to 7.3 MiB (under 1 MiB past twice). Transmission 3.00 sends its
    /// haves with its next requests (once a second), and asks for up to our whole queue at once
    /// (<see cref="PeerUpload.MaxQueuedRequests"/> blocks, 31.25 MiB): it held up to 32.4 MiB unannounced, 20.4 MiB past
    /// twice its claims' growth (bench/notes/peer-rules.md). So this must stay above a full queue of blocks (a test holds
    /// it there): raising <see cref="PeerUpload.MaxQueuedRequests"/> raises what an honest Transmission takes at once.</summary>
    public const long MinMarginBytes = 32L * 1024 * 1024;

    /// <summary>How much more a peer may take than its claims grew by, past the margin.</summary>
    public const int TakenPerClaimed = 2;

    private readonly Lock _lock = new();
    private int _claims;          // the most pieces it claimed at once (lt_donthave may lower the count; the most counts)
    private int _claimsAtFirst = -1; // its claims when we sent its first block; -1 before
    private long _taken;          // payload bytes sent to it
    private int _claimedRequests; // requests for pieces it claimed
    private bool _named;          // a reason was given: one is enough
    private long _mostAhead;      // the most it took past its claims' growth at once (taken minus grown)
    private long _mostPastTwice;  // the most it took past twice their growth at once: what the margin must cover

    /// <summary>Bytes a peer may take while its claims stay flat.</summary>
    public long Margin => Math.Max(MinMarginBytes, (long)LagPieces * pieceLength);

    /// <summary>The pieces it claims now (after its bitfield, have all or a have).</summary>
    public void Claimed(int pieces)
    {
        lock (_lock) _claims = Math.Max(_claims, pieces);
    }

    /// <summary>It requested a block of piece <paramref name="index"/>, which it claims to have: the reason to drop it
    /// once it did so more than <see cref="ClaimedRequestsAllowed"/> times, else null.</summary>
    public string? RequestedClaimed(int index)
    {
        lock (_lock)
        {
            if (_named || ++_claimedRequests <= ClaimedRequestsAllowed) return null;
            _named = true;
            return _claims >= pieceCount
                ? $"claims to be a seed (have all) yet requested piece {index} ({_claimedRequests} requests for pieces it claims)"
                : $"claims to have piece {index} yet requested it ({_claimedRequests} requests for pieces it claims, claims {Percent(_claims)} %)";
        }
    }

    /// <summary>We sent it <paramref name="bytes"/> of payload: the reason to drop it when it took more than its claims
    /// allow, else null.</summary>
    public string? Sent(long bytes)
    {
        lock (_lock)
        {
            if (_claimsAtFirst < 0) _claimsAtFirst = _claims;
            _taken += bytes;
            var grown = (long)(_claims - _claimsAtFirst) * pieceLength;
            _mostAhead = Math.Max(_mostAhead, _taken - grown);
            _mostPastTwice = Math.Max(_mostPastTwice, _taken - TakenPerClaimed * grown);
            if (_named || _taken <= TakenPerClaimed * grown + Margin) return null;
            _named = true;
            return $"claimed progress did not grow: took {Mib(_taken)} MiB, claims {Percent(_claims)} % "
                + $"(grew by {_claims - _claimsAtFirst} pieces, {Mib(grown)} MiB, since our first block)";
        }
    }

    /// <summary>Payload bytes sent to it so far.</summary>
    public long Taken { get { lock (_lock) return _taken; } }

    /// <summary>What it took against what it claimed, for the line the swarm logs when it leaves: the most it held
    /// unannounced (taken past its claims' growth) and the most past twice that growth (what <see cref="Margin"/>
    /// bounds), as measured at each block sent; null when it took nothing.</summary>
    public string? Summary()
    {
        lock (_lock)
        {
            if (_taken == 0) return null;
            return $"took {Mib(_taken)} MiB, claims grew by {Math.Max(0, _claims - _claimsAtFirst)} pieces; "
                + $"at most {Mib(_mostAhead)} MiB ahead of its claims, {Mib(_mostPastTwice)} MiB past twice their growth "
                + $"(margin {Mib(Margin)} MiB)";
        }
    }

    private int Percent(int pieces) => pieceCount == 0 ? 0 : (int)Math.Min(100, Math.Floor(Math.Min((long)pieces * pieceLength, totalLength) * 100.0 / totalLength));

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
