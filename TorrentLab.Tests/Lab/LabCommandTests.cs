using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary><c>torrentlab lab ...</c> as a user runs it, in a separate process.</summary>
public class LabCommandTests
{
    [Fact]
    public void List_ShowsEveryStageInOrderOneLineEach()
    {
        var result = CliRunner.Run(["lab", "list"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        for (var i = 0; i < LabStages.All.Count; i++)
        {
            var stage = LabStages.All[i];
            Assert.StartsWith($"{i + 1,2}. {stage.Name} ", lines[i]);
            Assert.Contains(stage.CommandShape, lines[i]);
        }
        Assert.Contains("torrentlab lab check --stage NAME -- <your command>", result.Stdout);
    }

    [Fact]
    public void Check_GoodClientOnOneStage_PrintsPassAndExitsZero()
    {
        var result = CliRunner.Run(["lab", "check", "--stage", "bencode-lists", "--seed", "11", "--", .. StudentClients.Command("good_client.py")]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Contains("PASS  bencode-lists", result.Stdout);
        Assert.Contains("--seed 11", result.Stdout);
    }

    [Fact]
    public void Check_BrokenClient_PrintsFailWithHintAndExitsFailed()
    {
        var result = CliRunner.Run(["lab", "check", "--stage", "discover-peers", "--seed", "12", "--", .. StudentClients.Command("hex_info_hash.py")]);

        Assert.Equal(CliRunner.Codes.Failed, result.ExitCode);
        Assert.Contains("FAIL  discover-peers", result.Stdout);
        Assert.Contains("HINT:", result.Stdout);
        Assert.Contains("0 of 1 stage(s) passed.", result.Stdout);
    }

    [Fact]
    public void Check_UnknownStage_IsAUsageError()
    {
        var result = CliRunner.Run(["lab", "check", "--stage", "nope", "--", "true"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("no stage named 'nope'", result.Stderr);
    }

    [Fact]
    public void Check_WithoutACommand_IsAUsageError()
    {
        var result = CliRunner.Run(["lab", "check", "--stage", "info-hash"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
    }
}
