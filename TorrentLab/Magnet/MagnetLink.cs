using System.Globalization;
using System.Net;
using System.Text;
using TorrentLab.Metainfo;

namespace TorrentLab.Magnet;

/// <summary>A parsed magnet link (BEP 9): the info hash, and optionally a name, trackers, peers and web seeds.</summary>
/// <remarks>
/// <code>
/// magnet:?xt=urn:btih:&lt;info-hash&gt;&amp;dn=&lt;name&gt;&amp;tr=&lt;tracker-url&gt;&amp;x.pe=&lt;peer-address&gt;&amp;ws=&lt;web seed&gt;
/// magnet:?xt=urn:btmh:1220&lt;sha-256 hex&gt;&amp;...                      BEP 52: a v2 info hash as a multihash
/// magnet:?xt=urn:btih:&lt;info-hash&gt;&amp;xt=urn:btmh:1220&lt;...&gt;&amp;...     a hybrid torrent: both
/// </code>
/// BEP 9: "xt is the only mandatory parameter". The info hash is 40 hex digits or 32 base32 characters. Values
/// are percent-decoded as UTF-8, and <c>+</c> reads as a space (links are often written as HTML form data).
/// BEP 53 adds <c>so=0,2,4-6</c>: download only the files with these 0-based indices (in the info dictionary's
/// order). Unknown parameters (<c>xl</c>, <c>as</c>, <c>x.*</c>) are ignored. Numbered keys (<c>tr.1</c>) count as
/// their base key, as many links in the wild use them.
/// </remarks>
public sealed record MagnetLink
{
    /// <summary>The 20-byte hash used on the wire: the v1 info hash from <c>xt=urn:btih:</c>, or for a v2-only
    /// link the v2 hash truncated to 20 bytes (BEP 52).</summary>
    public required InfoHash InfoHash { get; init; }

    /// <summary>The v2 info hash from <c>xt=urn:btmh:1220...</c> (BEP 52), or null.</summary>
    public InfoHashV2? InfoHashV2 { get; init; }

    /// <summary>True when the link has only a v2 hash (no <c>urn:btih:</c>).</summary>
    public bool IsV2Only { get; init; }

    /// <summary>The info hash as the link spells it (hex keeps its case; base32 becomes lowercase hex).</summary>
    public required string InfoHashText { get; init; }

    /// <summary><c>dn</c>: the display name, a hint until the metadata arrives.</summary>
    public string? Name { get; init; }

    /// <summary><c>tr</c>, in link order, duplicates removed.</summary>
    public IReadOnlyList<string> Trackers { get; init; } = [];

    /// <summary><c>x.pe</c> given as IP literals (<c>1.2.3.4:6881</c>, <c>[::1]:6881</c>): peers to ask directly.</summary>
    public IReadOnlyList<IPEndPoint> Peers { get; init; } = [];

    /// <summary><c>x.pe</c> given as host names: kept but not resolved (TorrentLab does no DNS lookups for peers).</summary>
    public IReadOnlyList<string> PeerHostNames { get; init; } = [];

    /// <summary><c>ws</c> (BEP 19): web seed URLs.</summary>
    public IReadOnlyList<string> WebSeeds { get; init; } = [];

    /// <summary><c>so</c> (BEP 53): the files to download, as inclusive ranges of 0-based file indices in the order of
    /// the info dictionary's file list; null when the link selects nothing (every file).</summary>
    public IReadOnlyList<(int First, int Last)>? SelectOnly { get; init; }

    /// <summary>True when <c>so</c> selects file <paramref name="index"/>, or when the link has no <c>so</c>.</summary>
    public bool Selects(int index) => SelectOnly is not { } ranges || ranges.Any(r => index >= r.First && index <= r.Last);

    /// <summary>Parses a magnet URI.</summary>
    /// <exception cref="MagnetException">Not a magnet link, no usable <c>xt</c>, a malformed info hash, peer or escape.</exception>
    public static MagnetLink Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var text = uri.Trim();
        const string scheme = "magnet:?";
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw new MagnetException($"expected a link starting with '{scheme}', got '{Shorten(text)}'");

        InfoHash? hash = null;
        InfoHashV2? v2 = null;
        string? hashText = null, name = null;
        var trackers = new List<string>();
        var peers = new List<IPEndPoint>();
        var hosts = new List<string>();
        var seeds = new List<string>();
        List<(int, int)>? selectOnly = null;
        foreach (var pair in text[scheme.Length..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var key = BaseKey(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..], key);
            switch (key)
            {
                case "xt" when value.StartsWith("urn:btih:", StringComparison.OrdinalIgnoreCase):
                    var (parsed, spelled) = ParseInfoHash(value["urn:btih:".Length..]);
                    if (hash is { } earlier && earlier != parsed)
                        throw new MagnetException($"two different info hashes ({earlier.Hex} and {parsed.Hex})", "xt");
                    (hash, hashText) = (parsed, hashText ?? spelled);
                    break;
                case "xt" when value.StartsWith("urn:btmh:", StringComparison.OrdinalIgnoreCase):
                    var multihash = ParseMultihash(value["urn:btmh:".Length..]);
                    if (v2 is { } first && first != multihash)
                        throw new MagnetException($"two different v2 info hashes ({first.Hex} and {multihash.Hex})", "xt");
                    v2 = multihash;
                    break;
                case "xt":
                    throw new MagnetException($"unsupported exact topic '{Shorten(value)}', expected 'urn:btih:<info hash>' or 'urn:btmh:1220<sha-256>'", "xt");
                case "dn":
                    name ??= value;
                    break;
                case "tr" when value.Length > 0 && !trackers.Contains(value):
                    trackers.Add(value);
                    break;
                case "x.pe":
                    AddPeer(value, peers, hosts);
                    break;
                case "ws" when value.Length > 0:
                    seeds.Add(value);
                    break;
                case "so":
                    (selectOnly ??= []).AddRange(ParseSelectOnly(value));
                    break;
            }
        }
        if (hash is null && v2 is null)
        {
            // BEP 9: "xt is the only mandatory parameter."
            throw new MagnetException("no 'xt=urn:btih:<info hash>' parameter (nor a BEP 52 'xt=urn:btmh:'); BEP 9 makes it the one mandatory parameter", "xt");
        }
        hash ??= v2!.Value.Truncated;
        return new MagnetLink
        {
            InfoHash = hash.Value, InfoHashText = hashText ?? hash.Value.Hex, Name = name, InfoHashV2 = v2, IsV2Only = hashText is null,
            Trackers = trackers, Peers = peers, PeerHostNames = hosts, WebSeeds = seeds, SelectOnly = selectOnly,
        };
    }

    /// <summary>The link in canonical form: lowercase hex info hash, then <c>dn</c>, <c>tr</c>, <c>x.pe</c>, <c>ws</c>,
    /// <c>so</c>.</summary>
    public override string ToString()
    {
        var link = new StringBuilder("magnet:?");
        if (!IsV2Only) link.Append("xt=urn:btih:").Append(InfoHash.Hex);
        if (InfoHashV2 is { } v2) link.Append(IsV2Only ? "" : "&").Append("xt=").Append(v2.MagnetUrn);
        if (Name is not null) link.Append("&dn=").Append(Uri.EscapeDataString(Name));
        foreach (var tracker in Trackers) link.Append("&tr=").Append(Uri.EscapeDataString(tracker));
        foreach (var peer in Peers) link.Append("&x.pe=").Append(Uri.EscapeDataString(peer.ToString()));
        foreach (var host in PeerHostNames) link.Append("&x.pe=").Append(Uri.EscapeDataString(host));
        foreach (var seed in WebSeeds) link.Append("&ws=").Append(Uri.EscapeDataString(seed));
        if (SelectOnly is { Count: > 0 } ranges)
            link.Append("&so=").AppendJoin(',', ranges.Select(r => r.First == r.Last ? $"{r.First}" : $"{r.First}-{r.Last}"));
        return link.ToString();
    }

    // BEP 9: "info-hash is the infohash, hex encoded, for a total of 40 characters. For compatability with existing
    // links in the wild, clients should also support the 32 character base32 encoded infohash."
    private static (InfoHash Hash, string Spelled) ParseInfoHash(string text)
    {
        switch (text.Length)
        {
            case 40:
                var bad = text.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF");
                if (bad >= 0) throw new MagnetException($"info hash '{text}' has a non-hex character '{text[bad]}' at position {bad}", "xt");
                return (InfoHash.FromHex(text), text);
            case 32:
                if (!Base32.TryDecode(text, out var bytes, out var at))
                    throw new MagnetException($"info hash '{text}' has a character '{text[at]}' at position {at} outside base32 (A-Z, 2-7)", "xt");
                var hash = new InfoHash(bytes);
                return (hash, hash.Hex);
            default:
                throw new MagnetException($"info hash '{Shorten(text)}' has {text.Length} characters, expected 40 (hex) or 32 (base32)", "xt");
        }
    }

    // BEP 52 (and the multihash format it names): <function code 0x12 = sha2-256><digest length 0x20 = 32><digest>,
    // in hex: "1220" followed by 64 hex digits.
    private static InfoHashV2 ParseMultihash(string text)
    {
        var bad = text.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF");
        if (bad >= 0) throw new MagnetException($"v2 info hash '{Shorten(text)}' has a non-hex character '{text[bad]}' at position {bad}", "xt");
        if (!text.StartsWith("1220", StringComparison.Ordinal))
            throw new MagnetException($"v2 info hash '{Shorten(text)}' is not a SHA-256 multihash: expected it to start with 1220 (sha2-256, 32 bytes)", "xt");
        if (text.Length != 4 + 2 * Metainfo.InfoHashV2.Length)
            throw new MagnetException($"v2 info hash '{Shorten(text)}' has {text.Length - 4} hex digits after 1220, expected 64", "xt");
        return Metainfo.InfoHashV2.FromHex(text[4..]);
    }

    // BEP 53: "so=0,2,4,6-8": a comma-separated list of file indices and inclusive ranges of them, from 0.
    private static IEnumerable<(int First, int Last)> ParseSelectOnly(string value)
    {
        var ranges = new List<(int, int)>();
        foreach (var part in value.Split(','))
        {
            var bounds = part.Split('-');
            if (bounds.Length > 2 || !bounds.All(IsIndex))
                throw new MagnetException($"'{Shorten(value)}' is not a list of file indices such as 0,2,4-6 (BEP 53)", "so");
            var first = int.Parse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture);
            var last = bounds.Length == 2 ? int.Parse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture) : first;
            if (last < first) throw new MagnetException($"file range '{part}' ends before it starts", "so");
            ranges.Add((first, last));
        }
        return ranges;

        static bool IsIndex(string s) => s.Length is > 0 and <= 9 && s.All(char.IsAsciiDigit);
    }

    // BEP 9: "x.pe: peer address expressed as hostname:port, ipv4-literal:port or [ipv6-literal]:port."
    private static void AddPeer(string value, List<IPEndPoint> peers, List<string> hosts)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
            throw new MagnetException($"peer '{value}' is not host:port", "x.pe");
        var host = value[..colon];
        if (!int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new MagnetException($"peer '{value}' has port '{value[(colon + 1)..]}', expected 1..65535", "x.pe");
        var bracketed = host.StartsWith('[') && host.EndsWith(']');
        if (bracketed && IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            peers.Add(new IPEndPoint(v6, port));
        else if (!bracketed && !host.Contains(':') && IPAddress.TryParse(host, out var v4) && host.Count(c => c == '.') == 3)
            peers.Add(new IPEndPoint(v4, port));
        else if (!bracketed && !host.Contains(':') && Uri.CheckHostName(host) == UriHostNameType.Dns)
            hosts.Add(value);
        else
            throw new MagnetException($"peer '{value}' is not hostname:port, ipv4:port or [ipv6]:port", "x.pe");
    }

    /// <summary><c>tr.1</c> counts as <c>tr</c>; keys compare case-insensitively.</summary>
    private static string BaseKey(string key)
    {
        key = key.ToLowerInvariant();
        var dot = key.LastIndexOf('.');
        return dot > 0 && key[(dot + 1)..].All(char.IsAsciiDigit) ? key[..dot] : key;
    }

    /// <summary>Percent-decodes a value as UTF-8; <c>+</c> is a space.</summary>
    private static string Decode(string value, string key)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%')
            {
                if (i + 2 >= value.Length || !byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                    throw new MagnetException($"invalid percent-escape '{value[i..Math.Min(value.Length, i + 3)]}' at position {i} of '{Shorten(value)}'", key);
                bytes.Add(b);
                i += 2;
            }
            else if (c == '+') bytes.Add((byte)' ');
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length) bytes.AddRange(Encoding.UTF8.GetBytes(value.Substring(i++, 2)));
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
