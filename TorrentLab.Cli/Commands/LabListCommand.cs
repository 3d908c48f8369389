using System.CommandLine;
using TorrentLab.Lab;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab lab list</c>: the stages in order, one line each.</summary>
internal static class LabListCommand
{
    public static Command Create() =>
        new Command("list", "List the lab's stages in order, with the command shape each one checks.").WithAction((_, _) =>
        {
            Console.Out.Write(Text());
            return ExitCodes.Ok;
        });

    /// <summary>One line per stage: number, name, command shape, summary; then how to check one.</summary>
    internal static string Text()
    {
        var lines = new List<string>();
        var stages = LabStages.All;
        var nameWidth = stages.Max(s => s.Name.Length);
        var shapeWidth = stages.Max(s => s.CommandShape.Length);
        for (var i = 0; i < stages.Count; i++)
        {
            var s = stages[i];
            lines.Add($"{i + 1,2}. {s.Name.PadRight(nameWidth)}  {s.CommandShape.PadRight(shapeWidth)}  {s.Summary}");
        }
        lines.Add("");
        lines.Add("Check a stage:      torrentlab lab check --stage NAME -- <your command>   (e.g. -- python3 my_client.py)");
        lines.Add("Check up to one:    torrentlab lab check --through NAME -- <your command>");
        lines.Add("Exercises:          docs/exercises/README.md");
        return string.Join('\n', lines) + "\n";
    }
}
