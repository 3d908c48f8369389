using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace TorrentLab.Cli;

/// <summary>Number parsing in the tool's own words. System.CommandLine names the .NET type when a value does not parse
/// ("as expected type 'System.Int32'"); these parsers say what the option expects: <c>--max-peers expects a whole
/// number, got 'two'</c>.</summary>
internal static partial class ValueParsers
{
    private delegate bool TryParse<T>(string text, out T value);

    /// <summary>Gives every number option and argument of <paramref name="command"/> and its subcommands a parser with a
    /// plain message (one that has its own parser keeps it).</summary>
    public static void Install(Command command)
    {
        foreach (var option in command.Options) Install(option);
        foreach (var argument in command.Arguments) Install(argument);
        foreach (var subcommand in command.Subcommands) Install(subcommand);
    }

    private static void Install(Symbol symbol)
    {
        const string whole = "a whole number", number = "a number";
        switch (symbol)
        {
            case Option<int> o: o.CustomParser ??= Parser(o.Name, whole, Int, o.DefaultValueFactory); break;
            case Option<int?> o: o.CustomParser ??= Parser(o.Name, whole, Nullable<int>(Int), o.DefaultValueFactory); break;
            case Option<long> o: o.CustomParser ??= Parser(o.Name, whole, Long, o.DefaultValueFactory); break;
            case Option<long?> o: o.CustomParser ??= Parser(o.Name, whole, Nullable<long>(Long), o.DefaultValueFactory); break;
            case Option<double> o: o.CustomParser ??= Parser(o.Name, number, Double, o.DefaultValueFactory); break;
            case Option<double?> o: o.CustomParser ??= Parser(o.Name, number, Nullable<double>(Double), o.DefaultValueFactory); break;
            case Argument<int> a: a.CustomParser ??= Parser($"<{a.Name}>", whole, Int, a.DefaultValueFactory); break;
            case Argument<long> a: a.CustomParser ??= Parser($"<{a.Name}>", whole, Long, a.DefaultValueFactory); break;
        }
    }

    private static bool Int(string text, out int value) => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    private static bool Long(string text, out long value) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    private static bool Double(string text, out double value) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static TryParse<T?> Nullable<T>(TryParse<T> parse) where T : struct => (string text, out T? value) =>
    {
        var ok = parse(text, out var parsed);
        value = ok ? parsed : null;
        return ok;
    };

    private static Func<ArgumentResult, T?> Parser<T>(string name, string expects, TryParse<T> parse, Func<ArgumentResult, T>? fallback) => result =>
    {
        if (result.Tokens.Count == 0) return fallback is null ? default : fallback(result);
        var text = result.Tokens[0].Value;
        if (parse(text, out var value)) return value;
        result.AddError($"{name} expects {expects}, got '{text}'");
        return default;
    };

    /// <summary>A parse error with any .NET type name left in it (from a value type no parser here covers) rewritten:
    /// <c>--x cannot take 'y'</c>.</summary>
    public static string Plain(string message) =>
        TypeNamed().Replace(message, m => $"{m.Groups["name"].Value} cannot take '{m.Groups["value"].Value}'");

    [GeneratedRegex(@"Cannot parse argument '(?<value>[^']*)' for (?:option|command) '(?<name>[^']*)' as expected type '[^']*'\.?")]
    private static partial Regex TypeNamed();
}
