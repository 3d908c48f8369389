using System.Text.Json;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Wire;
using TorrentLab.Storage;

namespace TorrentLab.Fuzz.Targets;

/// <summary>A resume ledger (<c>&lt;output&gt;/.torrentlab/&lt;infohash&gt;.json</c>) read for a torrent of two files and
/// five pieces: trusted or not, with a reason; it never throws.</summary>
/// <remarks>What must hold: a trusted ledger lists exactly the torrent's pieces. The output folder does not exist, so
/// the files are missing, as the seeds record them: a seed is trusted, and mutations reach every check after the
/// JSON shape.</remarks>
internal static class LedgerTarget
{
    public static FuzzTarget Target { get; } = new("ledger", "a resume ledger (JSON) for a torrent of two files", Run, Seeds);

    private static readonly Torrent Torrent = Torrent.Parse(TorrentBuilder.Create("folder",
        [(["a.bin"], TorrentTarget.Payload(40_000, 5)), (["b.bin"], TorrentTarget.Payload(30_000, 6))],
        new TorrentCreateOptions { PieceLength = 16 * 1024, CreationDate = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) }));

    private static readonly ResumeLedger Ledger = new(Torrent, "/nonexistent/torrentlab-fuzz-ledger");

    private static void Run(byte[] input)
    {
        var check = Ledger.Validate(input);
        if (check.Trusted is { } pieces && pieces.Length != Torrent.PieceCount)
            throw new InvalidOperationException($"a trusted ledger lists {pieces.Length} pieces, the torrent has {Torrent.PieceCount}");
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var some = new Bitfield(Torrent.PieceCount);
        some.Set(0);
        some.Set(3);
        LedgerFile[] absent = [new("folder/a.bin", null, default), new("folder/b.bin", null, default)];
        var when = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var plain = new LedgerDocument(ResumeLedger.FormatVersion, Torrent.InfoHash.Hex, Torrent.PieceLength, Torrent.PieceCount,
            Convert.ToBase64String(some.ToBytes()), when, absent);
        yield return ("trusted.json", Json(plain));
        yield return ("priorities.json", Json(plain with { HashScheme = PieceHashScheme.Sha1, Priorities = "20" }));
        yield return ("unflushed.json", Json(plain with { UnflushedBoot = "00000000-0000-0000-0000-000000000000" }));
        yield return ("files-present.json", Json(plain with { Files = [new("folder/a.bin", 40_000, when.UtcDateTime), new("folder/b.bin", 30_000, when.UtcDateTime)] }));
    }

    private static byte[] Json(LedgerDocument document) => JsonSerializer.SerializeToUtf8Bytes(document, LedgerJsonContext.Ledger.LedgerDocument);
}
