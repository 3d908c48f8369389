using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>Reads a request's <c>arguments</c> the way Transmission's own parser does: a boolean may come as
/// <c>true</c>, <c>1</c> or <c>"true"</c> (browser extensions send strings); a wrong type is an error that names the key.</summary>
internal static class TransmissionArguments
{
    public static bool Has(JsonElement arguments, string key) => arguments.TryGetProperty(key, out _);

    public static bool? Bool(JsonElement arguments, string key)
    {
        if (!arguments.TryGetProperty(key, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when value.TryGetInt64(out var n) => n != 0,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var b) => b,
            _ => throw Invalid(key, "a boolean", value),
        };
    }

    public static long? Long(JsonElement arguments, string key)
    {
        if (!arguments.TryGetProperty(key, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d) && Math.Abs(d) < 1e15) return (long)d;
        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), out var n)) return n;
        throw Invalid(key, "a number", value);
    }

    public static double? Double(JsonElement arguments, string key)
    {
        if (!arguments.TryGetProperty(key, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d)) return d;
        throw Invalid(key, "a number", value);
    }

    public static string? String(JsonElement arguments, string key)
    {
        if (!arguments.TryGetProperty(key, out var value)) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid(key, "a string", value);
    }

    public static int[]? Ints(JsonElement arguments, string key)
    {
        if (!arguments.TryGetProperty(key, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Array) throw Invalid(key, "an array of numbers", value);
        return [.. value.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var n) ? n : throw Invalid(key, "an array of numbers", i))];
    }

    public static string[]? Strings(JsonElement arguments, string key)
    {
        if (!arguments.TryGetProperty(key, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Array) throw Invalid(key, "an array of strings", value);
        return [.. value.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String ? s.GetString()! : throw Invalid(key, "an array of strings", s))];
    }

    private static WebApiException Invalid(string key, string expected, JsonElement got) =>
        new(400, $"invalid argument '{key}': expected {expected}, got {got.ValueKind.ToString().ToLowerInvariant()}");
}
