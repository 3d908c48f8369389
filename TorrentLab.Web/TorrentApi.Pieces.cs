using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary><c>GET /api/torrents/{infoHash}/pieces</c>: the torrent's piece map (issue 81), for the page, the
/// <c>torrentlab pieces</c> command and any script: each piece's state, and while it runs how many connected peers have
/// each piece; which peer sent each verified piece; the pieces each file spans; the moments the engine changed its mode.</summary>
internal static class TorrentApiPieces
{
    public static void Map(RouteGroupBuilder api, TorrentManager torrents)
    {
        api.MapGet("/torrents/{infoHash}/pieces", ([Description(TorrentApi.HashDescription)] string infoHash) =>
                Results.Json(PieceMap.Of(torrents.Get(infoHash)), WebJsonContext.Default.PieceMap))
            .WithName("TorrentPieces")
            .WithSummary("The piece map: each piece missing, requested, verified or failed, how many connected peers have it while the torrent runs, which peer sent each verified piece, the pieces each file spans, and the moments the engine changed its mode (end game, choke decisions, super-seed reveals)")
            .Responds(200, "The piece map", typeof(PieceMap)).RespondsNotFound();
    }
}

/// <summary>A torrent's piece map.</summary>
/// <param name="InfoHash">The torrent's info hash (hex).</param>
/// <param name="Name">The torrent's name.</param>
/// <param name="PieceLength">Bytes per piece (the last may be shorter).</param>
/// <param name="States">One digit per piece: 0 missing, 1 requested (being assembled), 2 verified, 3 failed (its last
/// copy failed the hash check).</param>
/// <param name="Availability">Per piece, how many connected peers have it (255 at most); null while the torrent does not
/// run, and for a seeding torrent while no peer is connected (it holds no swarm then).</param>
/// <param name="Senders">The peers that sent verified pieces, each once; null when no piece arrived from a peer since
/// the torrent was added to this server (pieces found on disk have no sender).</param>
/// <param name="SentBy">Per piece, the row of <paramref name="Senders"/> whose blocks completed it (the one that sent most
/// of them, when several did), or -1: not verified, or no sender known; null with <paramref name="Senders"/>.</param>
/// <param name="SentBySeveral">The pieces whose blocks came from more than one peer (<paramref name="SentBy"/> names the
/// one that sent most); null with <paramref name="Senders"/>.</param>
/// <param name="Missing">Pieces missing.</param>
/// <param name="Requested">Pieces being assembled.</param>
/// <param name="Verified">Pieces verified.</param>
/// <param name="Failed">Pieces whose last copy failed the hash check.</param>
/// <param name="Files">The pieces each file spans, files numbered from 1 as <c>/files</c> numbers them (pad files left out).</param>
/// <param name="Moments">The moments the engine changed its mode in the torrent's last run, oldest first (the newest 200,
/// and when end game began): empty before it ran.</param>
public sealed record PieceMap(string InfoHash, string Name, long PieceLength, string States, int[]? Availability,
    PieceMapSender[]? Senders, int[]? SentBy, int[]? SentBySeveral, int Missing, int Requested, int Verified, int Failed, PieceMapFile[] Files,
    PieceMapEvent[] Moments)
{
    internal static PieceMap Of(ManagedTorrent torrent)
    {
        var pieces = torrent.Pieces;
        var t = torrent.Torrent;
        int[]? availability = null;
        if (pieces.HasAvailability)
        {
            availability = new int[pieces.Count];
            for (var i = 0; i < availability.Length; i++) availability[i] = pieces.Availability(i);
        }
        var (senders, sentBy, several) = SendersOf(pieces);
        var files = new List<PieceMapFile>();
        foreach (var f in t.Files)
        {
            if (f.IsPadding) continue;
            var (first, last) = f.Length == 0 ? ((int)(f.Offset / t.PieceLength), (int)(f.Offset / t.PieceLength) - 1)
                : ((int)(f.Offset / t.PieceLength), (int)((f.Offset + f.Length - 1) / t.PieceLength));
            files.Add(new PieceMapFile(files.Count + 1, f.DisplayPath, first, last));
        }
        return new PieceMap(t.InfoHash.Hex, t.Name, t.PieceLength, pieces.ToDigits(), availability, senders, sentBy, several,
            pieces.CountOf(PieceState.Missing), pieces.CountOf(PieceState.Requested), pieces.CountOf(PieceState.Verified),
            pieces.CountOf(PieceState.Failed), [.. files], [.. pieces.Moments.Select(PieceMapEvent.Of)]);
    }

    /// <summary>The senders' table, and per verified piece its row (a piece the map does not show verified has none:
    /// a recheck may have found it gone).</summary>
    private static (PieceMapSender[]?, int[]?, int[]?) SendersOf(PieceStates pieces)
    {
        if (pieces.Senders is not { } known) return (null, null, null);
        var sentBy = new int[pieces.Count];
        var counts = new int[known.Peers.Count];
        var several = new List<int>();
        for (var i = 0; i < sentBy.Length; i++)
        {
            sentBy[i] = pieces[i] == PieceState.Verified ? known.PeerOf(i) : -1;
            if (sentBy[i] < 0) continue;
            counts[sentBy[i]]++;
            if (known.FromSeveral(i)) several.Add(i);
        }
        var senders = new PieceMapSender[known.Peers.Count];
        for (var r = 0; r < senders.Length; r++) senders[r] = new PieceMapSender(known.Peers[r].Address, known.Peers[r].Client, counts[r]);
        return (senders, sentBy, [.. several]);
    }
}

/// <summary>A peer that sent verified pieces.</summary>
/// <param name="Address">Its address and port, or a web seed's URL.</param>
/// <param name="Client">Its client, as its peer id names it; null for a web seed.</param>
/// <param name="Pieces">The verified pieces it sent (most of, when several peers sent one).</param>
public sealed record PieceMapSender(string Address, string? Client, int Pieces);

/// <summary>A moment the engine changed its mode.</summary>
/// <param name="At">When.</param>
/// <param name="Kind"><c>endgame</c> (every missing block was asked of someone: idle peers are asked for blocks already
/// asked of others), <c>unchoke</c> or <c>choke</c> (a choke round's decision about <paramref name="Peer"/>, BEP 3), or
/// <c>reveal</c> (super-seeding told <paramref name="Peer"/> it has <paramref name="Piece"/>, BEP 16), or <c>rarest</c>
/// (the first pieces were picked at random; from here the rarest first, the first such pick for <paramref name="Peer"/>).</param>
/// <param name="Peer">The peer it concerns (for <c>endgame</c>, the one whose requests were being made when it began).</param>
/// <param name="Piece">The piece revealed, or -1.</param>
/// <param name="PiecesLeft">Wanted pieces not verified yet at that moment (0 while seeding).</param>
public sealed record PieceMapEvent(DateTimeOffset At, string Kind, string? Peer, int Piece, int PiecesLeft)
{
    internal static PieceMapEvent Of(PieceMapMoment m) => new(m.At, m.Kind switch
    {
        PieceMapMomentKind.EndgameBegan => "endgame",
        PieceMapMomentKind.Unchoked => "unchoke",
        PieceMapMomentKind.Choked => "choke",
        PieceMapMomentKind.SuperSeedRevealed => "reveal",
        PieceMapMomentKind.RarestFirstBegan => "rarest",
        _ => m.Kind.ToString(),
    }, m.Peer, m.Piece, m.PiecesLeft);
}

/// <summary>The pieces a file spans.</summary>
/// <param name="Index">Its number, from 1 (pad files left out).</param>
/// <param name="Path">Its path inside the torrent.</param>
/// <param name="FirstPiece">The piece holding its first byte.</param>
/// <param name="LastPiece">The piece holding its last byte; one less than <paramref name="FirstPiece"/> for an empty file.</param>
public sealed record PieceMapFile(int Index, string Path, int FirstPiece, int LastPiece);
