using System.CommandLine;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab lab</c>: the classroom exercises. <c>list</c> shows the stages, <c>check</c> runs any
/// student program through them, <c>class</c> a whole roster of them, <c>swarm</c> starts a loopback swarm to explore by hand.</summary>
internal static class LabCommand
{
    public static Command Create() =>
        CommandParts.Group("lab", "Step-by-step exercises: build your own BitTorrent client and check it stage by stage.",
            LabListCommand.Create(), LabCheckCommand.Create(), LabClassCommand.Create(), LabSwarmCommand.Create());
}
