using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TorrentLab.Storage;

/// <summary>The JSON shape of a resume ledger (<c>&lt;output&gt;/.torrentlab/&lt;infohash&gt;.json</c>).</summary>
/// <remarks><code>
/// {
///   "version": 1,                         format version; anything else is ignored (full check)
///   "infoHash": "40 hex digits",          the torrent this belongs to
///   "pieceLength": 262144, "pieceCount": 4096,
///   "pieces": "base64",                   the BEP 3 bitfield bytes of verified pieces (high bit = piece 0)
///   "savedAt": "2025-01-01T00:00:00Z",
///   "files": [ { "path": "folder/a.bin", "length": 123, "lastWriteUtc": "..." } ],  non-pad files, torrent order
///   "hashScheme": "sha1",                 what verified the pieces: sha1, merkle-sha256 (BEP 52) or both
///                                         (absent in older ledgers: sha1)
///   "priorities": "2022",                 one digit per file in torrent order, pad files included: 0 skip, 1 low,
///                                         2 normal, 3 high (absent: every file wanted at normal priority)
///   "unflushedBoot": "boot id"            saved before the pieces were flushed to disk: trusted only in this boot
/// }                                       of the machine (null or absent: flushed, trusted after a restart too)
/// </code></remarks>
internal sealed record LedgerDocument(
    int Version,
    string InfoHash,
    int PieceLength,
    int PieceCount,
    string Pieces,
    DateTimeOffset SavedAt,
    IReadOnlyList<LedgerFile> Files,
    string? HashScheme = null,
    string? Priorities = null,
    string? UnflushedBoot = null);

/// <summary>One file as it was on disk when the ledger was saved; <see cref="Length"/> is null when it did not exist.</summary>
internal sealed record LedgerFile(string Path, long? Length, DateTime LastWriteUtc);

/// <summary>System.Text.Json source generation for the ledger: no reflection, trimming-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(LedgerDocument))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext
{
    /// <summary>The context used for ledgers: the generated options, plus base64's '+' and '/' are written as they are, not as \u002B.</summary>
    public static LedgerJsonContext Ledger { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // safe here: the file is never embedded in HTML
    });
}
