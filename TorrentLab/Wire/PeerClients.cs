using System.Text;

namespace TorrentLab.Wire;

/// <summary>Names the client behind a peer id from its prefix (BEP 20 "Peer ID Conventions"), for the peer lists of the swarm, the CLI and the web.</summary>
/// <remarks>
/// Azureus style, the most common: <c>'-' &lt;2 client letters&gt; &lt;4 version chars&gt; '-'</c> then random bytes,
/// e.g. <c>-LT2080-</c> is libtorrent 2.0.8.0 and <c>-TZ0100-</c> TorrentLab 0.1.0.0. Mainline style:
/// <c>M4-3-6--</c> (version numbers between dashes). aria2 uses <c>A2-1-37-0-</c>. Anything else is "unknown":
/// a peer id is chosen freely by the peer, so this is a hint, never an identity.
/// </remarks>
internal static class PeerClients
{
    // BEP 20's Azureus-style table, the clients a classroom meets.
    private static readonly Dictionary<string, string> Azureus = new(StringComparer.Ordinal)
    {
        ["AZ"] = "Vuze", ["BC"] = "BitComet", ["BT"] = "BitTorrent", ["DE"] = "Deluge", ["KT"] = "KTorrent",
        ["LT"] = "libtorrent", ["lt"] = "libTorrent (rakshasa)", ["qB"] = "qBittorrent", ["TL"] = "Tribler", ["TZ"] = "TorrentLab",
        ["TR"] = "Transmission", ["UT"] = "µTorrent", ["UM"] = "µTorrent Mac", ["WW"] = "WebTorrent", ["FD"] = "Free Download Manager",
        ["BI"] = "BiglyBT", ["LW"] = "LimeWire", ["PI"] = "PicoTorrent", ["SD"] = "Thunder", ["XL"] = "Xunlei",
    };

    /// <summary>"libtorrent 2.0.8.0", "aria2 1.37.0", or "unknown (-XX1234-)" for an unlisted Azureus-style prefix.</summary>
    public static string Describe(ReadOnlySpan<byte> peerId)
    {
        if (peerId.Length < 8) return "unknown";
        var head = Encoding.Latin1.GetString(peerId[..Math.Min(peerId.Length, 12)]);
        if (head[0] == '-' && head[7] == '-')
        {
            var code = head.Substring(1, 2);
            var version = string.Join('.', head.Substring(3, 4).ToCharArray());
            return Azureus.TryGetValue(code, out var name) ? $"{name} {version}" : $"unknown ({UntrustedText.Clean(head[..8])})";
        }
        if (head.StartsWith("A2-", StringComparison.Ordinal)) return "aria2 " + DashedVersion(head[3..]);
        if (head[0] == 'M' && char.IsAsciiDigit(head[1]) && head[2] == '-') return "Mainline " + DashedVersion(head[1..]);
        return "unknown";
    }

    /// <summary>Describes a peer id given as 40 hex digits (as the wire trace shows it).</summary>
    public static string DescribeHex(string hex) =>
        hex.Length == 40 && IsHex(hex) ? Describe(Convert.FromHexString(hex)) : "unknown";

    // "1-37-0-..." -> "1.37.0": the numbers up to the first empty field.
    private static string DashedVersion(string text) =>
        string.Join('.', text.Split('-').TakeWhile(part => part.Length > 0 && part.All(char.IsAsciiDigit)));

    private static bool IsHex(string s) => s.All(char.IsAsciiHexDigit);
}
