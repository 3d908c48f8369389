using System.Globalization;

namespace TorrentLab.Web;

/// <summary>Reads optional query parameters, refusing a malformed one with a 400 that names it (the generated
/// binders answer a bare 400 for a nullable value they cannot parse).</summary>
internal static class QueryValue
{
    /// <summary>An absent or empty parameter is null; otherwise <c>true</c> or <c>false</c> (any case).</summary>
    public static bool? Flag(string name, string? raw) =>
        string.IsNullOrEmpty(raw) ? null
        : bool.TryParse(raw, out var value) ? value
        : throw Malformed(name, raw, "true or false");

    /// <summary>An absent or empty parameter is null; otherwise a whole number.</summary>
    public static long? Number(string name, string? raw) =>
        string.IsNullOrEmpty(raw) ? null
        : long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw Malformed(name, raw, "a whole number");

    private static WebApiException Malformed(string name, string raw, string expected) =>
        new(400, $"query parameter '{name}': expected {expected}, got '{(raw.Length > 40 ? raw[..40] + "..." : raw)}'");
}
