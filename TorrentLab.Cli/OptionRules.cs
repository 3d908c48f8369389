using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace TorrentLab.Cli;

/// <summary>Ranges and durations checked where the command line is parsed: a value no command can use is refused
/// before any work starts, with one line naming the option and what it accepts (<c>--seed-ratio must be 0 or more, got
/// -1</c>), exit code 2.</summary>
/// <remarks>A validator sees only what the user typed; defaults are in range by construction. It reads the token
/// itself: a token that is no number already has its error from <see cref="ValueParsers"/>.</remarks>
internal static class OptionRules
{
    /// <summary>Refuses a whole number outside <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Option<T> InRange<T>(this Option<T> option, long min, long max, string? unit = null)
    {
        option.Validators.Add(result =>
        {
            if (Token(result) is { } text && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                && (value < min || value > max && max is not (int.MaxValue or long.MaxValue))) // past the type: the parser's error
                result.AddError($"{option.Name} must be {Range(min, max)}{(unit is null ? "" : " " + unit)}, got {text}");
        });
        return option;
    }

    /// <summary>Refuses a number below <paramref name="min"/>, not finite, or above <paramref name="max"/>.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, double min, double max)
    {
        option.Validators.Add(result =>
        {
            if (Token(result) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && (!double.IsFinite(value) || value < min || value > max))
                result.AddError($"{option.Name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got {text}");
        });
        return option;
    }

    /// <summary>Refuses a value <paramref name="check"/> finds wrong (it returns the one-line error, or null when fine),
    /// for every value of a repeatable option.</summary>
    public static Option<T> Each<T>(this Option<T> option, Func<string, string?> check)
    {
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (check(token.Value) is { } error)
                {
                    result.AddError(error);
                    return;
                }
        });
        return option;
    }

    /// <summary>A tracker's announce URL: http://, https:// or udp:// with a host (what the tracker client speaks).</summary>
    public static Option<T> TrackerUrls<T>(this Option<T> option) => option.Each(value =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "udp" && uri.Host.Length > 0 ? null
        : $"{option.Name} expects a tracker URL (http://, https:// or udp://HOST:PORT/...), got '{value}'");

    /// <summary>A file to write or read: refused when a folder has that name.</summary>
    public static Option<T> FileNotFolder<T>(this Option<T> option) => option.Each(value =>
        Directory.Exists(value) ? $"{option.Name} expects a file, got the folder '{value}'" : null);

    /// <summary>A folder: refused when a file has that name.</summary>
    public static Option<T> FolderNotFile<T>(this Option<T> option) => option.Each(value =>
        File.Exists(value) ? $"{option.Name} expects a folder, got the file '{value}'" : null);

    /// <summary>A port option: 0..65535, 0 meaning any free port.</summary>
    public static Option<T> Port<T>(this Option<T> option) => option.InRange(0, 65535, "(0: any free port)");

    private static string Range(long min, long max) => max is long.MaxValue or int.MaxValue ? $"{min} or more" : $"{min}..{max}";

    private static string? Token(OptionResult result) => result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
}

/// <summary>Durations on the command line, one syntax for every command: a number with a unit, <c>30s</c>, <c>10m</c>,
/// <c>2h</c>, <c>1.5h</c>, <c>1d</c>; a bare number keeps the unit each option always had (seconds for
/// <c>--stall-timeout</c> and <c>--timeout</c>, minutes for <c>--seed-time</c>), so existing scripts keep working.</summary>
internal static class Duration
{
    /// <summary>Far beyond any run (about 27 years); larger is a typo, and TimeSpan arithmetic stays safe.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(10_000);

    /// <summary>An option holding a duration, null when not given.</summary>
    /// <param name="bareUnit">What a number without a suffix counts: <see cref="TimeSpan.FromSeconds(double)"/>'s unit or minutes.</param>
    /// <param name="allowZero">True when 0 means something (<c>--seed-time 0</c>: stop at once).</param>
    public static Option<TimeSpan?> Create(string name, string description, TimeSpan bareUnit, bool allowZero, TimeSpan? max = null)
    {
        var limit = max ?? Max;
        return new Option<TimeSpan?>(name)
        {
            Description = description,
            HelpName = "duration",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
                if (TryParse(text, bareUnit) is { } value && (allowZero ? value >= TimeSpan.Zero : value > TimeSpan.Zero) && value <= limit)
                    return value;
                result.AddError($"{name} expects a duration {(allowZero ? "of 0 or more" : "above 0")} up to {Show(limit)}, such as 30s, 10m or 2h " +
                                $"(a bare number is {(bareUnit == TimeSpan.FromMinutes(1) ? "minutes" : "seconds")}), got '{text}'");
                return null;
            },
        };
    }

    /// <summary>Reads <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>, or a bare number of <paramref name="bareUnit"/>; null
    /// when it is none of these (negative values are returned, for the caller's range check).</summary>
    public static TimeSpan? TryParse(string text, TimeSpan bareUnit)
    {
        text = text.Trim();
        var unit = bareUnit;
        if (text.Length > 1 && char.ToLowerInvariant(text[^1]) is 's' or 'm' or 'h' or 'd' && !char.IsDigit(text[^1]))
        {
            unit = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                _ => TimeSpan.FromDays(1),
            };
            text = text[..^1];
        }
        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || !double.IsFinite(number))
            return null;
        var seconds = number * unit.TotalSeconds;
        if (Math.Abs(seconds) > Max.TotalSeconds * 2) return TimeSpan.MaxValue; // out of range, refused by the caller
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>A limit in its largest whole unit: 3600 s is "1h".</summary>
    public static string Show(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0}d"
        : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0}h"
        : span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 ? $"{span.TotalMinutes:0}m"
        : $"{span.TotalSeconds:0.###}s";
}
