namespace TorrentLab.Tests.Infrastructure;

/// <summary>One row of a shared-corpus MANIFEST.tsv: a file and what its source project's tests expect of it.</summary>
public sealed record CorpusManifestRow(string Folder, string File, string Expected, string Stated, string V1InfoHash, string Summary, string Notes, string V2InfoHash = "")
{
    /// <summary>The file's full path.</summary>
    public string FullPath(string corpus) => Path.Combine(corpus, Folder, File);

    public bool IsTorrent => File.EndsWith(".torrent", StringComparison.Ordinal);
    public bool ExpectedValid => Expected.StartsWith("valid", StringComparison.Ordinal) || Expected == "UNREFERENCED";
    public bool ExpectedInvalid => Expected == "invalid";
    public bool IsV2Only => Summary.Contains("v2-only", StringComparison.Ordinal);
    public bool IsHybrid => Summary.Contains("hybrid v1+v2", StringComparison.Ordinal);

    /// <summary>A "key=number" figure from the computed summary (files=, pieces=, pad_files=), or null.</summary>
    public int? SummaryNumber(string key)
    {
        var match = System.Text.RegularExpressions.Regex.Match(Summary, $@"(?:^|[ ,;]){key}=(\d+)(?:[,;]|$)");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    public override string ToString() => $"{Folder}/{File}";
}

/// <summary>Reads the MANIFEST.tsv files of the shared corpus.</summary>
public static class CorpusManifest
{
    /// <summary>The rows of <c>&lt;corpus&gt;/&lt;folder&gt;/MANIFEST.tsv</c> (header skipped).</summary>
    public static IReadOnlyList<CorpusManifestRow> Read(string corpus, string folder)
    {
        var path = Path.Combine(corpus, folder, "MANIFEST.tsv");
        return File.ReadAllLines(path).Skip(1).Where(line => line.Length > 0).Select(line =>
        {
            var c = line.Split('\t');
            string At(int i) => i < c.Length ? c[i] : "";
            return new CorpusManifestRow(folder, At(0), At(1), At(2), At(4), At(6), At(7), At(5));
        }).ToList();
    }
}
