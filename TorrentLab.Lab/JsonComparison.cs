using System.Text.Json;
using TorrentLab.Bencode;

namespace TorrentLab.Lab;

/// <summary>Compares a student's JSON with the bencode value it should show, by meaning rather than by text (key
/// order, spacing and \u escapes do not matter; types and values do).</summary>
internal static class JsonComparison
{
    /// <summary>Null when <paramref name="actual"/> shows <paramref name="expected"/>; else where and how they differ.</summary>
    public static string? Difference(BValue expected, JsonElement actual, string path = "$")
    {
        switch (expected)
        {
            case BString s:
                if (actual.ValueKind != JsonValueKind.String) return $"at {path}: expected the string {Show(s)}, got {Kind(actual)} {actual.GetRawText()}";
                return actual.GetString() == s.Text ? null : $"at {path}: expected {Show(s)}, got {actual.GetRawText()}";
            case BInteger i:
                if (actual.ValueKind != JsonValueKind.Number) return $"at {path}: expected the number {i.Value}, got {Kind(actual)} {actual.GetRawText()}";
                return actual.TryGetInt64(out var n) && n == i.Value ? null : $"at {path}: expected {i.Value}, got {actual.GetRawText()}";
            case BList l:
                if (actual.ValueKind != JsonValueKind.Array) return $"at {path}: expected a list (JSON array), got {Kind(actual)}";
                if (actual.GetArrayLength() != l.Items.Count) return $"at {path}: expected {l.Items.Count} items, got {actual.GetArrayLength()}";
                var index = 0;
                foreach (var item in actual.EnumerateArray())
                {
                    if (Difference(l.Items[index], item, $"{path}[{index}]") is { } d) return d;
                    index++;
                }
                return null;
            case BDictionary d:
                if (actual.ValueKind != JsonValueKind.Object) return $"at {path}: expected a dictionary (JSON object), got {Kind(actual)}";
                var keys = actual.EnumerateObject().Select(p => p.Name).ToList();
                var wanted = d.Entries.Select(e => System.Text.Encoding.UTF8.GetString(e.Key)).ToList();
                if (wanted.Except(keys).FirstOrDefault() is { } missing) return $"at {path}: key \"{missing}\" is missing";
                if (keys.Except(wanted).FirstOrDefault() is { } extra) return $"at {path}: unexpected key \"{extra}\"";
                foreach (var (key, value) in d.Entries)
                {
                    var name = System.Text.Encoding.UTF8.GetString(key);
                    if (Difference(value, actual.GetProperty(name), $"{path}.{name}") is { } diff) return diff;
                }
                return null;
            default:
                throw new InvalidOperationException($"cannot compare {expected.GetType().Name}");
        }
    }

    private static string Show(BString s) => JsonSerializer.Serialize(s.Text, LabJsonContext.Default.String);

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "the string",
        JsonValueKind.Number => "the number",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "something else",
    };
}
