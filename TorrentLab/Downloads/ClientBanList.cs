using System.Text;

namespace TorrentLab.Downloads;

/// <summary>Clients no peer connection is kept with (<c>serve --ban-client</c>, <see cref="SessionSettings.ClientBans"/>):
/// rules matched against a peer's id at its handshake and its client name at its extension handshake. The list may be
/// replaced while the session runs (<see cref="Set"/>); thread-safe.</summary>
/// <remarks>A rule <c>id:PREFIX</c> matches a peer id that starts with PREFIX, byte for byte and case-sensitive (BEP 20's
/// Azureus-style <c>-XL0012-</c> or <c>-SD</c>, Shadow-style <c>S58B</c>: <c>-lt</c> and <c>-LT</c> are different
/// clients); <c>v:TEXT</c> matches a BEP 10 extension handshake whose <c>v</c> contains TEXT, ignoring case
/// (<c>Xunlei</c>, <c>QQDownload</c>); a rule without either prefix matches both ways.</remarks>
public sealed class ClientBanList
{
    /// <summary>Most rules in a list.</summary>
    public static int MaxRules => 256;

    /// <summary>Longest rule text after its prefix: 64 characters, the length a <c>v</c> is cut to for display.</summary>
    public static int MaxRuleLength => 64;

    private IReadOnlyList<string> _rules = [];

    /// <summary>An empty list: no client is banned.</summary>
    public ClientBanList() { }

    /// <summary>A list of <paramref name="rules"/>.</summary>
    /// <exception cref="ArgumentException">A rule is not one (<see cref="Problem"/> says why).</exception>
    public ClientBanList(IEnumerable<string> rules) => Set(rules);

    /// <summary>The rules in force, trimmed, without duplicates, in the order given.</summary>
    public IReadOnlyList<string> Rules => Volatile.Read(ref _rules);

    /// <summary>Replaces the rules; nothing changes when one is refused.</summary>
    /// <exception cref="ArgumentException">A rule is not one, or there are more than <see cref="MaxRules"/>.</exception>
    public void Set(IEnumerable<string> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var kept = new List<string>();
        foreach (var given in rules)
        {
            var rule = given?.Trim() ?? "";
            if (Problem(rule) is { } problem) throw new ArgumentException(problem, nameof(rules));
            if (!kept.Contains(rule, StringComparer.Ordinal)) kept.Add(rule);
        }
        if (kept.Count > MaxRules) throw new ArgumentException($"at most {MaxRules} client ban rules, got {kept.Count}", nameof(rules));
        Volatile.Write(ref _rules, kept.ToArray());
    }

    /// <summary>Why <paramref name="rule"/> is not a rule (empty, too long, a control character, an id prefix longer
    /// than a peer id or not printable ASCII); null when it is one.</summary>
    public static string? Problem(string rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var (id, v, text) = Split(rule.Trim());
        if (text.Length == 0) return $"a client ban rule needs text after its prefix, got '{rule}'";
        if (text.Length > MaxRuleLength) return $"a client ban rule has at most {MaxRuleLength} characters, got {text.Length}";
        if (text.Any(char.IsControl)) return "a client ban rule may not hold control characters";
        if (id && !v && (text.Length > Wire.PeerId.Length || text.Any(c => c is < ' ' or > '~')))
            return $"an id: rule is a peer id prefix of at most {Wire.PeerId.Length} printable ASCII characters, got '{text}'";
        return null;
    }

    /// <summary>The first rule matching the start of peer id <paramref name="id"/>; null when none does.</summary>
    internal string? MatchId(ReadOnlySpan<byte> id)
    {
        foreach (var rule in Rules)
        {
            var (byId, _, text) = Split(rule);
            if (!byId || text.Length > id.Length) continue;
            var match = true;
            for (var i = 0; i < text.Length && match; i++) match = id[i] == text[i];
            if (match) return rule;
        }
        return null;
    }

    /// <summary>The first rule whose text a client name <paramref name="v"/> contains, ignoring case; null when none
    /// does (or <paramref name="v"/> is null).</summary>
    internal string? MatchClient(string? v)
    {
        if (string.IsNullOrEmpty(v)) return null;
        foreach (var rule in Rules)
        {
            var (_, byV, text) = Split(rule);
            if (byV && v.Contains(text, StringComparison.OrdinalIgnoreCase)) return rule;
        }
        return null;
    }

    /// <summary>A rule's kind and text: <c>id:</c> (peer id only), <c>v:</c> (client name only), or both.</summary>
    private static (bool Id, bool V, string Text) Split(string rule) =>
        rule.StartsWith("id:", StringComparison.OrdinalIgnoreCase) ? (true, false, rule[3..])
        : rule.StartsWith("v:", StringComparison.OrdinalIgnoreCase) ? (false, true, rule[2..])
        : (true, true, rule);

    /// <summary>A peer id's printable start, for a log line (others bytes as <c>.</c>).</summary>
    internal static string Printable(ReadOnlySpan<byte> id, int count = 8)
    {
        var text = new StringBuilder();
        foreach (var b in id[..Math.Min(count, id.Length)]) text.Append(b is >= 0x20 and <= 0x7E ? (char)b : '.');
        return text.ToString();
    }
}
