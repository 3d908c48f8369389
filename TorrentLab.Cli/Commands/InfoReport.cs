using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary>What <c>torrentlab info</c> shows about a torrent, once as text and once as JSON.</summary>
internal sealed record InfoReport(
    string? TrackerUrl,
    long Length,
    long TotalLength,
    string InfoHash,
    string InfoHashUrlEncoded,
    int PieceLength,
    int PieceCount,
    IReadOnlyList<string> PieceHashes,
    string Name,
    bool MultiFile,
    IReadOnlyList<InfoReportFile> Files,
    bool Private,
    IReadOnlyList<IReadOnlyList<string>> Trackers,
    IReadOnlyList<string> WebSeeds,
    bool Hybrid,
    int MetaVersion,
    string? InfoHashV2,
    string? Comment,
    string? CreatedBy,
    DateTimeOffset? CreationDate,
    string MagnetLink)
{
    /// <summary>Builds the report from a parsed torrent.</summary>
    public static InfoReport From(Torrent t) => new(
        t.Announce ?? t.TrackerTiers.FirstOrDefault()?.FirstOrDefault(),
        t.PayloadLength,
        t.TotalLength,
        t.InfoHash.Hex,
        t.InfoHash.UrlEncoded,
        t.PieceLength,
        t.PieceCount,
        t.IsV2Only ? Array.Empty<string>() : new PieceHashList(t), // lazy: a torrent with millions of pieces is printed, not held as strings
        t.Name,
        t.IsMultiFile,
        t.Files.Select(f => new InfoReportFile(f.DisplayPath, f.Length, f.Offset, f.IsPadding,
            f.PiecesRoot.IsEmpty ? null : Convert.ToHexStringLower(f.PiecesRoot.Span))).ToList(),
        t.IsPrivate,
        t.TrackerTiers,
        t.WebSeeds,
        t.IsHybrid,
        t.MetaVersion,
        t.InfoHashV2?.Hex,
        t.Comment,
        t.CreatedBy,
        t.CreationDate,
        t.MagnetLink);

    /// <summary>The report as indented JSON (camelCase keys, non-ASCII kept as is).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, InfoJsonContext.Relaxed.InfoReport);

    /// <summary>Writes the JSON report to <paramref name="stream"/> as it is produced (no whole copy in memory).</summary>
    public void WriteJson(Stream stream) => JsonSerializer.Serialize(stream, this, InfoJsonContext.Relaxed.InfoReport);
}

/// <summary>The piece hashes as hex, made one at a time when read.</summary>
internal sealed class PieceHashList(Torrent torrent) : IReadOnlyList<string>
{
    public int Count => torrent.PieceCount;
    public string this[int index] => Convert.ToHexStringLower(torrent.GetPieceHash(index));
    public IEnumerator<string> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>One file line of the report; <see cref="PiecesRoot"/> is the BEP 52 merkle root (v2 and hybrid torrents).</summary>
internal sealed record InfoReportFile(string Path, long Length, long Offset, bool Padding, string? PiecesRoot);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(InfoReport))]
internal sealed partial class InfoJsonContext : JsonSerializerContext
{
    // Torrent names are often not ASCII; print them as they are, as the text output does.
    public static InfoJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
