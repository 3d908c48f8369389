using System.Text;
using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

/// <summary>A readable client name from a peer id (BEP 20 conventions), for the verbose peer list.</summary>
internal static class ClientName
{
    private static readonly Dictionary<string, string> Azureus = new(StringComparer.Ordinal)
    {
        ["LT"] = "libtorrent", ["TR"] = "Transmission", ["qB"] = "qBittorrent", ["DE"] = "Deluge", ["UT"] = "uTorrent",
        ["TL"] = "TorrentLab", ["AZ"] = "Azureus", ["BT"] = "BitTorrent", ["lt"] = "rTorrent",
    };

    /// <summary>"libtorrent 2.0.x" for <c>-LT20x0-...</c>, "aria2 1-36-0" for <c>A2-1-36-0-...</c>, else the printable prefix.</summary>
    public static string Of(PeerId id)
    {
        var bytes = id.Bytes;
        if (bytes.Length < 8) return "?";
        // BEP 20 Azureus style: '-', two letters, four version characters, '-'.
        if (bytes[0] == '-' && bytes[7] == '-')
        {
            var code = Printable(bytes[1..3]);
            var version = Printable(bytes[3..7]);
            return $"{Azureus.GetValueOrDefault(code, code)} {version}";
        }
        if (bytes[0] == 'A' && bytes[1] == '2' && bytes[2] == '-') return "aria2 " + Printable(bytes[3..12]).TrimEnd('-');
        return Printable(bytes[..8]);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes) builder.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        return builder.ToString();
    }
}
