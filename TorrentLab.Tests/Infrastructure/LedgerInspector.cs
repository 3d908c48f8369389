using System.Numerics;
using System.Text.Json;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Reads a resume ledger's JSON directly, as a test observing a running download from outside.</summary>
public static class LedgerInspector
{
    /// <summary>How many pieces the ledger at <paramref name="path"/> lists as verified; -1 while it does not exist.</summary>
    /// <exception cref="JsonException">The ledger exists but is not readable JSON (it never should be).</exception>
    public static int SavedPieces(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { return -1; }
        catch (DirectoryNotFoundException) { return -1; }
        using var document = JsonDocument.Parse(text);
        var bits = Convert.FromBase64String(document.RootElement.GetProperty("pieces").GetString()!);
        return bits.Sum(b => BitOperations.PopCount(b));
    }
}
