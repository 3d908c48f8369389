namespace TorrentLab.Web;

/// <summary>One parameter a remote-control method takes (a Transmission argument, a qBittorrent form field): applied
/// with the real daemon's meaning, or refused with that API's error for any value that asks for what TorrentLab cannot
/// do (a value that asks for what already holds, such as <c>bandwidthPriority</c> 0, passes).</summary>
/// <param name="Name">The parameter's name as clients send it.</param>
/// <param name="Applied">True when every value is applied; false when only the value that holds already is taken.</param>
/// <param name="Meaning">What it does here, or why it is refused (docs/web.md carries the same table).</param>
internal sealed record ApiParameter(string Name, bool Applied, string Meaning)
{
    /// <summary>A parameter whose values are all applied.</summary>
    public static ApiParameter Applies(string name, string meaning) => new(name, true, meaning);

    /// <summary>A parameter refused unless its value asks for what already holds.</summary>
    public static ApiParameter Refuses(string name, string why) => new(name, false, why);

    /// <summary>A method's parameters by name: the only ones it takes. A request naming any other is refused whole, so
    /// nothing is answered "success" and dropped.</summary>
    public static IReadOnlyDictionary<string, ApiParameter> Table(params ApiParameter[] rows) =>
        rows.ToDictionary(r => r.Name, StringComparer.Ordinal);

    /// <summary>The first of <paramref name="names"/> that has no row in <paramref name="table"/>, or null.</summary>
    public static string? Unknown(IEnumerable<string> names, IReadOnlyDictionary<string, ApiParameter> table) =>
        names.FirstOrDefault(n => !table.ContainsKey(n));

    /// <summary>A JSON value as both daemons take a boolean: true or false, a number (0 is false), or a string "true" or
    /// "false"; null for anything else.</summary>
    public static bool? BoolOf(System.Text.Json.JsonElement value) => value.ValueKind switch
    {
        System.Text.Json.JsonValueKind.True => true,
        System.Text.Json.JsonValueKind.False => false,
        System.Text.Json.JsonValueKind.Number when value.TryGetInt64(out var n) => n != 0,
        System.Text.Json.JsonValueKind.String when bool.TryParse(value.GetString(), out var b) => b,
        _ => null,
    };
}
