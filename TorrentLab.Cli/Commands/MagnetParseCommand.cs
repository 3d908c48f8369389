using System.CommandLine;
using System.Text;
using TorrentLab.Magnet;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab magnet_parse "&lt;magnet link&gt;"</c>: prints what a magnet link carries (BEP 9).</summary>
/// <remarks>The first two lines are the classroom shape, matched as substrings: <c>Tracker URL:</c> (the first
/// <c>tr</c>) and <c>Info Hash:</c>, spelled as the link spells it (checkers compare that spelling, upper case
/// included). The lines after them are ours.</remarks>
internal static class MagnetParseCommand
{
    public static Command Create()
    {
        var uri = CommandParts.MagnetArgument();
        return new Command("magnet_parse", "Show what a magnet link carries: info hash, trackers, name, peers.") { uri }.WithAction((parse, _) =>
        {
            Console.Out.Write(Text(MagnetLink.Parse(parse.GetValue(uri)!)));
            return ExitCodes.Ok;
        });
    }

    /// <summary>The report, one fact per line.</summary>
    internal static string Text(MagnetLink link)
    {
        var s = new StringBuilder();
        void Line(string text) => s.Append(text).Append('\n');
        Line($"Tracker URL: {(link.Trackers.Count > 0 ? link.Trackers[0] : "(none)")}");
        Line($"Info Hash: {link.InfoHashText}");
        if (link.InfoHashV2 is { } v2) Line($"Info Hash v2: {v2.Hex}{(link.IsV2Only ? " (v2-only link: Info Hash is its first 20 bytes, as on the wire)" : "")}");
        if (link.Name is not null) Line($"Name: {link.Name}");
        if (link.Trackers.Count > 1)
        {
            Line("Trackers:");
            foreach (var tracker in link.Trackers) Line($"  {tracker}");
        }
        if (link.Peers.Count + link.PeerHostNames.Count > 0)
        {
            Line("Peers:");
            foreach (var peer in link.Peers) Line($"  {peer}");
            foreach (var host in link.PeerHostNames) Line($"  {host} (host name, not resolved)");
        }
        if (link.WebSeeds.Count > 0)
        {
            Line("Web Seeds:");
            foreach (var seed in link.WebSeeds) Line($"  {seed}");
        }
        return s.ToString();
    }
}
