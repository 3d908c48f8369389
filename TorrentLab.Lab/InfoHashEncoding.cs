using System.Globalization;
using System.Text.RegularExpressions;

namespace TorrentLab.Lab;

/// <summary>Names the percent-encoding slip that turned a torrent's info hash into what the tracker received.</summary>
internal static partial class InfoHashEncoding
{
    /// <summary>The slip behind an info hash that arrived as 20 other bytes, or null when it is none of them.</summary>
    public static string? ExplainSlip(ReadOnlySpan<byte> sent, ReadOnlySpan<byte> received)
    {
        if (sent.Length != received.Length) return null;
        int plus = -1, space = -1;
        for (var i = 0; i < sent.Length; i++)
        {
            if (sent[i] == received[i]) continue;
            if (sent[i] == (byte)'+' && received[i] == (byte)' ') plus = plus < 0 ? i : plus;
            else if (sent[i] == (byte)' ' && received[i] == (byte)'+') space = space < 0 ? i : space;
            else return null;
        }
        if (space >= 0)
            return $"byte {space} of the info hash is 0x20, a space, and the tracker got '+' (0x2b) there: write a space byte as " +
                "%20 or '+', never %2B, which is a plus sign";
        return plus < 0 ? null
            : $"byte {plus} of the info hash is 0x2b, the character '+', and you sent it unescaped; in a query string '+' means a " +
              "space (HTML form encoding), so the tracker read 0x20 and knew no such torrent: percent-encode '+' as %2B (encode " +
              "every byte that is not a letter, digit or one of - . _ ~, as urllib.parse.quote(h, safe='') does)";
    }

    /// <summary>The slip behind a "must be 20 raw bytes, got N" rejection, or null when no slip explains N.</summary>
    public static string? ExplainLength(ReadOnlySpan<byte> sent, string reason)
    {
        var match = LengthPattern().Match(reason);
        if (!match.Success) return null;
        var got = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var high = 0;
        foreach (var b in sent) if (b >= 0x80) high++;
        if (high > 0 && got == sent.Length + high)
            return $"the tracker got {got} bytes: each of the {high} info-hash bytes from 0x80 up became two, as UTF-8 text " +
                "does; percent-encode the 20 raw bytes themselves (%c3%a9 is two bytes, %e9 is one)";
        if (got < sent.Length && sent[got] is (byte)'&' or (byte)'#')
        {
            var c = (char)sent[got];
            var effect = c == '&' ? "which starts the next parameter" : "which starts the URL's fragment, never sent";
            return $"the tracker got only {got} bytes: byte {got} of the info hash is 0x{sent[got]:x2}, the character '{c}', sent " +
                $"unescaped, {effect}; percent-encode every byte that is not a letter, digit or one of - . _ ~";
        }
        return null;
    }

    // TrackerRequestRules: "'info_hash' must be 20 raw bytes, got 13"
    [GeneratedRegex(@"'info_hash' must be \d+ raw bytes, got (\d+)")]
    private static partial Regex LengthPattern();
}
