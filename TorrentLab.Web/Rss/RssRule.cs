using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TorrentLab.Web;

/// <summary>An RSS auto-download rule in qBittorrent's model (<c>rss/setRule</c>'s <c>ruleDef</c>): which articles of
/// which feeds it takes, and how their torrents are added.</summary>
/// <remarks>
/// <para>Matching, as qBittorrent's <c>AutoDownloadRule::matches</c>: <see cref="RssRuleDefinition.MustContain"/> and
/// <see cref="RssRuleDefinition.MustNotContain"/> are either one regular expression each (<see cref="RssRuleDefinition.UseRegex"/>, case-insensitive) or
/// alternatives separated by '|', each a set of wildcard words (<c>*</c> any text, <c>?</c> one character) separated by
/// spaces that must all appear, in any order. An article is taken when some alternative of must-contain matches (or
/// there is none), no alternative of must-not-contain does, the episode filter takes its season and episode
/// (<see cref="EpisodeFilter"/>), and, with <see cref="RssRuleDefinition.IgnoreDays"/>, it is that many days newer than the last match.</para>
/// <para>Patterns run on .NET's non-backtracking engine, in time linear in the title, with no time limit: a limit on the
/// wall clock made matching depend on the machine's load (with 100 ms, a loaded machine threw on a plain episode
/// filter and could skip an article a rule takes). A regular expression with what only a backtracking engine has
/// (lookarounds, backreferences, atomic groups) runs on it with a 1 s limit, a match that runs out of it taking
/// nothing; a pattern that does not compile is refused when the rule is set.</para>
/// </remarks>
internal sealed class RssRule
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    /// <summary>The limit of a pattern only the backtracking engine runs (one that backtracks without end takes nothing).</summary>
    private static readonly TimeSpan BacktrackingTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex[][] _mustContain, _mustNotContain;
    private readonly EpisodeFilter? _episodes;

    private RssRule(RssRuleDefinition definition)
    {
        Definition = definition;
        _mustContain = Expressions(definition.MustContain, definition.UseRegex);
        _mustNotContain = Expressions(definition.MustNotContain, definition.UseRegex);
        _episodes = EpisodeFilter.Parse(definition.EpisodeFilter);
    }

    public RssRuleDefinition Definition { get; }

    /// <summary>A rule from its definition.</summary>
    /// <exception cref="FormatException">A regular expression that does not compile, or an episode filter out of its syntax.</exception>
    public static RssRule From(RssRuleDefinition definition)
    {
        try { return new RssRule(definition); }
        catch (ArgumentException e) { throw new FormatException($"not a regular expression: {e.Message}", e); }
    }

    /// <summary>The alternatives of an expression; each alternative's patterns must all match.</summary>
    private static Regex[][] Expressions(string text, bool regex)
    {
        if (text.Length == 0) return [];
        if (regex) return [[Compile(text)]];
        return [.. text.Split('|').Select(alternative => alternative.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(word => new Regex(Wildcard(word), Options | RegexOptions.NonBacktracking)).ToArray())];
    }

    /// <summary>A user's regular expression on the non-backtracking engine, or on the backtracking one (with its limit)
    /// when it uses what only that engine has.</summary>
    private static Regex Compile(string pattern)
    {
        try { return new Regex(pattern, Options | RegexOptions.NonBacktracking); }
        catch (NotSupportedException) { return new Regex(pattern, Options, BacktrackingTimeout); }
    }

    /// <summary>A wildcard word as an unanchored pattern: '*' any text, '?' one character, the rest literal.</summary>
    private static string Wildcard(string word)
    {
        var pattern = new StringBuilder();
        foreach (var c in word)
            pattern.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
        return pattern.ToString();
    }

    /// <summary>True when the rule takes <paramref name="article"/> (its being on and its feeds are the caller's to check).</summary>
    public bool Matches(FeedArticle article)
    {
        if (Definition.IgnoreDays > 0 && Definition.LastMatch is { } last && article.Date is { } date && date < last.AddDays(Definition.IgnoreDays))
            return false;
        var title = article.Title;
        // An empty alternative ("x|") matches anything, as a regex "x|" would.
        if (_mustContain.Length > 0 && !_mustContain.Any(all => all.All(p => Match(p, title)))) return false;
        if (_mustNotContain.Any(all => all.Length > 0 && all.All(p => Match(p, title)))) return false;
        return _episodes is null || _episodes.Matches(title);
    }

    private static bool Match(Regex pattern, string title)
    {
        try { return pattern.IsMatch(title); }
        catch (RegexMatchTimeoutException) { return false; } // only the backtracking engine has a limit: see Compile
    }
}

/// <summary>qBittorrent's <c>ruleDef</c>, as <c>rss/rules</c> answers it and <c>rss/setRule</c> takes it.</summary>
internal sealed record RssRuleDefinition
{
    public bool Enabled { get; init; } = true;
    public string MustContain { get; init; } = "";
    public string MustNotContain { get; init; } = "";
    public bool UseRegex { get; init; }
    public string EpisodeFilter { get; init; } = "";
    public IReadOnlyList<string> AffectedFeeds { get; init; } = [];
    public int IgnoreDays { get; init; }
    public DateTimeOffset? LastMatch { get; init; }
    /// <summary>Add the torrent paused (true), started (false) or as the server adds (null: started).</summary>
    public bool? AddPaused { get; init; }
    /// <summary>The category of the torrents added (created when new); "" none.</summary>
    public string AssignedCategory { get; init; } = "";
    /// <summary>Their save folder, inside the downloads folder; "" the downloads folder.</summary>
    public string SavePath { get; init; } = "";
    public IReadOnlyList<string> PreviouslyMatchedEpisodes { get; init; } = [];

    /// <summary>What rss/setRule takes, each key with what it does; any other key refuses the request.</summary>
    public static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["enabled"] = "the rule on or off",
        ["mustContain"] = "wildcard words (all of them, any order), alternatives separated by '|'; or a regular expression",
        ["mustNotContain"] = "as mustContain: an article any of whose alternatives matches is not taken",
        ["useRegex"] = "mustContain and mustNotContain are regular expressions (case-insensitive)",
        ["episodeFilter"] = "seasons and episodes taken, as 1x2-4;2x-",
        ["affectedFeeds"] = "the URLs of the feeds the rule reads",
        ["ignoreDays"] = "after a match, ignore further matches for this many days (0: never)",
        ["lastMatch"] = "when the rule last took an article",
        ["addPaused"] = "add paused (true), started (false), or as the server adds (null)",
        ["assignedCategory"] = "the category of what is added",
        ["savePath"] = "the save folder, inside the downloads folder",
        ["smartFilter"] = "false only: the smart episode filter is not supported",
        ["previouslyMatchedEpisodes"] = "kept as given (the smart filter's list)",
        ["torrentContentLayout"] = "null or \"Original\" only",
        ["priority"] = "kept as given: rules are applied in name order",
    };

    /// <summary>Reads a ruleDef, refusing any key it cannot honour.</summary>
    /// <exception cref="FormatException">Not an object, a key not in <see cref="Keys"/>, a value of the wrong kind or refused.</exception>
    public static RssRuleDefinition Parse(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) throw new FormatException("ruleDef must be a JSON object");
        var rule = new RssRuleDefinition();
        foreach (var property in json.EnumerateObject())
        {
            var value = property.Value;
            rule = property.Name switch
            {
                "enabled" => rule with { Enabled = Bool(value, property.Name) },
                "mustContain" => rule with { MustContain = Text(value, property.Name) },
                "mustNotContain" => rule with { MustNotContain = Text(value, property.Name) },
                "useRegex" => rule with { UseRegex = Bool(value, property.Name) },
                "episodeFilter" => rule with { EpisodeFilter = Text(value, property.Name) },
                "affectedFeeds" => rule with { AffectedFeeds = value.ValueKind == JsonValueKind.String ? [value.GetString()!] : Strings(value, property.Name) },
                "ignoreDays" => rule with { IgnoreDays = value.TryGetInt32(out var days) && days >= 0 ? days : throw new FormatException("ignoreDays must be 0 or more") },
                "lastMatch" => rule with { LastMatch = value.ValueKind == JsonValueKind.String ? FeedReader.ParseDate(value.GetString()) : null },
                "addPaused" => rule with { AddPaused = value.ValueKind == JsonValueKind.Null ? null : Bool(value, property.Name) },
                "assignedCategory" => rule with { AssignedCategory = Text(value, property.Name) },
                "savePath" => rule with { SavePath = Text(value, property.Name) },
                "smartFilter" => Bool(value, property.Name) ? throw new FormatException("smartFilter: the smart episode filter is not supported; only false is taken") : rule,
                "previouslyMatchedEpisodes" => rule with { PreviouslyMatchedEpisodes = Strings(value, property.Name) },
                "torrentContentLayout" => value.ValueKind == JsonValueKind.Null || value.GetString() == "Original" ? rule
                    : throw new FormatException("torrentContentLayout: a torrent's files keep its own layout; only null or \"Original\" is taken"),
                "priority" => value.ValueKind == JsonValueKind.Number ? rule : throw new FormatException("priority must be a number"),
                _ => throw new FormatException($"ruleDef key '{UntrustedText.Clean(property.Name, 40)}' is not supported by TorrentLab"),
            };
        }
        return rule;
    }

    private static bool Bool(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new FormatException($"{name} must be true or false"),
    };

    private static string Text(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : value.ValueKind == JsonValueKind.Null ? "" : throw new FormatException($"{name} must be a string");

    private static string[] Strings(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String)
            ? [.. value.EnumerateArray().Select(v => v.GetString()!)] : throw new FormatException($"{name} must be an array of strings");

    /// <summary>Writes the rule as qBittorrent's rss/rules answers it.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteBoolean("enabled", Enabled);
        w.WriteString("mustContain", MustContain);
        w.WriteString("mustNotContain", MustNotContain);
        w.WriteBoolean("useRegex", UseRegex);
        w.WriteString("episodeFilter", EpisodeFilter);
        w.WriteBoolean("smartFilter", false);
        w.WriteStartArray("previouslyMatchedEpisodes");
        foreach (var episode in PreviouslyMatchedEpisodes) w.WriteStringValue(episode);
        w.WriteEndArray();
        w.WriteStartArray("affectedFeeds");
        foreach (var feed in AffectedFeeds) w.WriteStringValue(feed);
        w.WriteEndArray();
        w.WriteNumber("ignoreDays", IgnoreDays);
        w.WriteString("lastMatch", LastMatch?.ToString("r", System.Globalization.CultureInfo.InvariantCulture) ?? "");
        if (AddPaused is { } paused) w.WriteBoolean("addPaused", paused);
        else w.WriteNull("addPaused");
        w.WriteString("assignedCategory", AssignedCategory);
        w.WriteString("savePath", SavePath);
        w.WriteNull("torrentContentLayout"); // the torrent's own layout, always
        w.WriteEndObject();
    }
}
