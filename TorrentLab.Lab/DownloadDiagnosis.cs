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
    public static string? Explain(LabTorrent torrent, int? index, byte[]? written, IReadOnlyList<string> log, StudentRun run, bool faults)
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
        if (run.TimedOut) return "your program did not finish in time: after 'interested', read messages in a loop (bitfield, unchoke, piece) and count the bytes you still expect";
        if (!run.Succeeded) return "your program failed: read the error above and the peers' log below";
        if (written is null) return "write the result to the path given after -o";
        return index is null
            ? "the file differs from the payload: write every piece at offset index x piece length, in order"
            : "the bytes differ from the piece: each 'piece' message carries index, begin and a block; put the block at offset begin";
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
