using TorrentLab.Wire;

namespace TorrentLab.Lab;

/// <summary>Names the mistake behind a failed download from the evidence: what the peers logged about the
/// student's requests, and what the written file holds compared with the payload.</summary>
internal static class DownloadDiagnosis
{
    /// <param name="torrent">The swarm's torrent and payload.</param>
    /// <param name="index">The piece asked for, or null for the whole file.</param>
    /// <param name="written">The file the program wrote, or null when there is none.</param>
    /// <param name="log">The tracker's and peers' log.</param>
    /// <param name="run">How the program ended.</param>
    /// <param name="faults">Whether the swarm had faulty peers.</param>
    /// <param name="trace">The peers' wire trace (<c>peer IP:PORT -&gt; have index=3</c>), or empty without one.</param>
    public static string? Explain(LabTorrent torrent, int? index, byte[]? written, IReadOnlyList<string> log, StudentRun run, bool faults,
        IReadOnlyList<string>? trace = null)
    {
        bool Logged(string phrase) => log.Any(l => l.Contains(phrase, StringComparison.Ordinal));
        var t = torrent.Torrent;
        if (Logged(PeerLog.TooLarge))
            return "a request asks for at most 16 KiB (16384 bytes): split each piece into 16 KiB blocks; peers close the connection on larger requests";
        if (Logged(PeerLog.BeforeUnchoke))
            return "you sent requests before the peer unchoked you, and it dropped them: send 'interested', then wait for 'unchoke' (id 1) before any 'request'";
        if (Logged(PeerLog.PastPieceEnd))
            return index == t.PieceCount - 1 || index is null
                ? $"the last piece is shorter: {t.GetPieceLength(t.PieceCount - 1)} bytes here, not {t.PieceLength} (length - piece length x (count - 1)); request only what it holds"
                : "a request ran past the end of its piece: the last block of a piece may be shorter than 16 KiB";
        if (written is not null && Neighbour(torrent, index, written) is { } neighbour) return neighbour;
        if (written is not null && LastPieceTooLong(torrent, index, written)) 
            return $"the last piece is shorter: {t.GetPieceLength(t.PieceCount - 1)} bytes here; write only its real length";
        if (faults && written is not null && Logged(PeerLog.CorruptSent) && CorruptedCopy(torrent, index, written))
            return "one peer sent a corrupted block: check each piece's SHA-1 against the torrent and fetch a failing piece again from another peer";
        if (faults && Logged(PeerLog.NotYet) && !run.Succeeded)
            return "a peer closed the connection when you asked for a piece it does not have: read each peer's bitfield (id 5) " +
                "and 'have' messages (id 4, a piece index), ask only a peer that has the piece, and move on to another peer when " +
                "one closes";
        if (faults && Logged(PeerLog.WhileChoked))
            return "a peer choked you mid-piece and dropped your outstanding requests: wait for 'unchoke' and request the missing blocks again (or use another peer)";
        if (log.Any(l => l.Contains("accepted connection", StringComparison.Ordinal)) is false && log.Any(l => l.Contains("announce http", StringComparison.Ordinal)))
            return "your program announced but never connected to a peer: connect to one of the ip:port the tracker returned";
        if (run.TimedOut && Unheeded(torrent, index, trace ?? []) is { } unheeded) return unheeded;
        if (run.TimedOut) return "your program did not finish in time: after 'interested', read messages in a loop (bitfield, unchoke, piece) and count the bytes you still expect";
        if (!run.Succeeded) return "your program failed: read the error above and the peers' log below";
        if (written is null) return "write the result to the path given after -o";
        return index is null
            ? "the file differs from the payload: write every piece at offset index x piece length, in order"
            : "the bytes differ from the piece: each 'piece' message carries index, begin and a block; put the block at offset begin";
    }

    /// <summary>For a program stopped at its limit: what it received and did not act on, from the wire trace. A peer that
    /// sent <c>have</c> for the piece and was never asked for it (the program stopped reading after the bitfield, or
    /// never added a <c>have</c> to what it knows); a piece layer (<c>hashes</c>) followed by no request; or every
    /// block of the piece received and the program still running.</summary>
    internal static string? Unheeded(LabTorrent torrent, int? index, IReadOnlyList<string> trace)
    {
        static string Peer(string line) => line.Split(' ') is { Length: > 1 } words ? words[1] : "";
        int? PieceOf(string line, string message)
        {
            var at = line.IndexOf($" {message} index=", StringComparison.Ordinal);
            if (at < 0) return null;
            var digits = new string(line[(at + message.Length + 8)..].TakeWhile(char.IsAsciiDigit).ToArray());
            return int.TryParse(digits, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        bool Wanted(int piece) => index is null || index == piece;
        for (var i = 0; i < trace.Count; i++)
        {
            if (PieceOf(trace[i], "-> have") is not { } piece || !Wanted(piece)) continue;
            var peer = Peer(trace[i]);
            var asked = trace.Skip(i + 1).Any(l => Peer(l) == peer && PieceOf(l, "<- request") == piece);
            var askedBefore = trace.Take(i).Any(l => Peer(l) == peer && PieceOf(l, "<- request") == piece);
            if (!asked && !askedBefore)
                return $"peer {peer} sent 'have' for piece {piece} (it got the piece after its bitfield) and you never asked it for that piece: " +
                    "keep reading messages after the bitfield; a 'have' (id 4) adds one piece to what that peer holds, so ask it then";
        }
        var layer = trace.Select((l, i) => (Line: l, At: i)).LastOrDefault(e => e.Line.Contains(" -> hashes ", StringComparison.Ordinal));
        if (layer.Line is not null && !trace.Skip(layer.At + 1).Any(l => l.Contains(" <- request ", StringComparison.Ordinal)))
            return $"the piece layer you asked for arrived (hashes, message 22, from peer {Peer(layer.Line)}) and you sent no request after it: " +
                "check the hashes against the pieces root, then request the piece's blocks";
        var t = torrent.Torrent;
        foreach (var piece in index is { } only ? [only] : Enumerable.Range(0, t.PieceCount))
        {
            var blocks = (torrent.Piece(piece).Length + WireLimits.BlockLength - 1) / WireLimits.BlockLength;
            var begins = trace.Where(l => PieceOf(l, "-> piece") == piece)
                .Select(l => l[(l.IndexOf("begin=", StringComparison.Ordinal) + 6)..].Split(' ')[0]).Distinct().Count();
            if (begins < blocks) return null;
        }
        return trace.Count == 0 ? null
            : $"every block of {(index is { } p ? $"piece {p}" : "every piece")} arrived, and your program went on waiting: count the bytes " +
              "each piece still needs and, once the last block is in, check the SHA-1, write the file and exit";
    }

    /// <summary>The off-by-one: the file holds the piece next to the one asked for (or every piece shifted by one).</summary>
    private static string? Neighbour(LabTorrent torrent, int? index, byte[] written)
    {
        var t = torrent.Torrent;
        if (index is { } i)
        {
            foreach (var other in new[] { i - 1, i + 1 })
                if (other >= 0 && other < t.PieceCount && written.AsSpan().SequenceEqual(torrent.Piece(other)))
                    return $"you wrote piece {other}, the one next to piece {i}: piece indexes start at 0; use the index from the command line as it is";
            return null;
        }
        // Whole file: does its first piece equal payload piece 1 (skipped 0), or its second equal piece 0?
        if (t.PieceCount >= 2 && written.Length >= t.PieceLength && written.AsSpan(0, t.PieceLength).SequenceEqual(torrent.Piece(1)))
            return "the file starts with piece 1: piece indexes run from 0 to count - 1";
        if (t.PieceCount >= 2 && written.Length >= 2 * t.PieceLength && written.AsSpan(t.PieceLength, t.PieceLength).SequenceEqual(torrent.Piece(0)))
            return "piece 0 is written where piece 1 belongs: write piece i at offset i x piece length, with i from 0";
        return null;
    }

    /// <summary>The last piece written at full piece length: the right bytes followed by extra ones.</summary>
    private static bool LastPieceTooLong(LabTorrent torrent, int? index, byte[] written)
    {
        var t = torrent.Torrent;
        var expected = index is { } i ? torrent.Piece(i) : torrent.Payload;
        if (index is { } j && j != t.PieceCount - 1) return false;
        return written.Length > expected.Length && written.AsSpan(0, expected.Length).SequenceEqual(expected);
    }

    /// <summary>The file holds the payload with exactly the corrupting peer's byte flipped.</summary>
    private static bool CorruptedCopy(LabTorrent torrent, int? index, byte[] written)
    {
        var expected = index is { } i ? torrent.Piece(i).ToArray() : torrent.Payload;
        if (written.Length != expected.Length) return false;
        var differing = 0;
        for (var k = 0; k < written.Length && differing <= 1; k++)
            if (written[k] != expected[k]) differing++;
        return differing == 1;
    }
}
