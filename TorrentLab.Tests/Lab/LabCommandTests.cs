using System.Text.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary><c>torrentlab lab ...</c> as a user runs it, in a separate process.</summary>
[Trait("Tier", "Slow")]
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

    [Fact]
    public void Check_Json_PrintsOneObjectPerStage()
    {
        var result = CliRunner.Run(["lab", "check", "--json", "--through", "bencode-integers", "--seed", "13", "--", .. StudentClients.Command("good_client.py")],
            TimeSpan.FromSeconds(180));

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["bencode-strings", "bencode-integers"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("stage").GetString()));
        foreach (var line in lines)
        {
            var stage = JsonDocument.Parse(line).RootElement;
            Assert.Equal("PASS", stage.GetProperty("verdict").GetString());
            Assert.Equal(13, stage.GetProperty("seed").GetInt32());
            Assert.Equal(JsonValueKind.Null, stage.GetProperty("hint").ValueKind);
            Assert.True(stage.GetProperty("seconds").GetDouble() >= 0);
            Assert.False(stage.GetProperty("timed_out").GetBoolean());
        }
    }

    [Fact]
    public void Check_Json_FailingStage_CarriesItsHint()
    {
        var result = CliRunner.Run(["lab", "check", "--json", "--stage", "discover-peers", "--seed", "12", "--", .. StudentClients.Command("hex_info_hash.py")],
            TimeSpan.FromSeconds(180));

        Assert.Equal(CliRunner.Codes.Failed, result.ExitCode);
        var stage = JsonDocument.Parse(Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("FAIL", stage.GetProperty("verdict").GetString());
        Assert.Contains("as 40 hex characters", stage.GetProperty("hint").GetString());
        Assert.Equal("docs/exercises/08-discover-peers.md", stage.GetProperty("exercise").GetString());
    }

    /// <summary>The default grade meets the faulty peers: a client that never checks a piece's SHA-1 (it passes with
    /// honest peers only) fails it, and the report says which mode graded.</summary>
    [Fact]
    public void Check_ByDefault_GradesWithFaults_SoAClientThatNeverVerifiesFails()
    {
        string[] check = ["lab", "check", "--stage", "download-piece", "--seed", "1", "--", .. StudentClients.Command("no_piece_hash_check.py")];

        var strict = CliRunner.Run(check, TimeSpan.FromSeconds(180));
        var honest = CliRunner.Run([.. check[..2], "--no-faults", .. check[2..]], TimeSpan.FromSeconds(180));

        Assert.True(strict.ExitCode == CliRunner.Codes.Failed, strict.Stdout + strict.Stderr);
        Assert.Contains("Graded with faulty peers (the default)", strict.Stdout);
        Assert.Contains("one peer sent a corrupted block", strict.Stdout);
        Assert.True(honest.ExitCode == CliRunner.Codes.Ok, honest.Stdout + honest.Stderr);
        Assert.Contains("Graded with honest peers only (--no-faults)", honest.Stdout);
    }

    /// <summary>A correct Java client decodes its argument and prints its output in the JVM's locale: the checker gives it
    /// UTF-8 whatever the teacher's locale, so it passes the bencode stages (non-ASCII strings included) with LANG unset.</summary>
    [Fact]
    public void Check_JavaClient_PassesTheBencodeStages_WithTheTeachersLocaleUnset()
    {
        var javac = Interop.RequireExecutable("javac");
        Interop.RequireExecutable("java");
        using var temp = new TempFolder();
        var compiled = ProcessRunner.Run(javac, ["-d", temp.Combine("classes"), TestPaths.Fixture("students", "java", "Main.java")], TimeSpan.FromSeconds(180));
        Assert.True(compiled.ExitCode == 0, compiled.Stderr);
        // An empty LANG/LC_ALL/LC_CTYPE is an unset one to the C library (and so to the JVM): the POSIX locale, ASCII.
        var noLocale = new Dictionary<string, string> { ["LANG"] = "", ["LC_ALL"] = "", ["LC_CTYPE"] = "" };

        var result = ProcessRunner.Run("dotnet", [CliRunner.CliDll, "lab", "check", "--through", "bencode-dictionaries", "--seed", "3",
            "--", "java", "-cp", "classes", "Main"], TimeSpan.FromSeconds(300), temp.Path, noLocale);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stdout + result.Stderr);
        Assert.Contains("All 4 stage(s) passed.", result.Stdout);
    }

    /// <summary>With <c>--sandbox</c> the checker starts itself in a network namespace with loopback only, where its
    /// peers and the confined runs of the program meet: a network stage passes, and the report says how it was confined.</summary>
    [Fact]
    public void Check_Sandbox_ConfinesEveryRun_AndANetworkStageStillPasses()
    {
        Interop.RequireExecutable("bwrap");
        if (StudentSandbox.Find(out var why) is null) Interop.Missing(why);

        var result = CliRunner.Run(["lab", "check", "--sandbox", "--stage", "handshake", "--seed", "2", "--", .. StudentClients.Command("good_client.py")],
            TimeSpan.FromSeconds(180));

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stdout + result.Stderr);
        Assert.Contains("Sandbox: each run in bubblewrap: the checker's loopback-only network namespace", result.Stdout);
        Assert.Contains("PASS  handshake", result.Stdout);
    }

    [Fact]
    public void Check_NoSandbox_SaysTheProgramRunsUnconfined()
    {
        var result = CliRunner.Run(["lab", "check", "--no-sandbox", "--stage", "bencode-integers", "--seed", "2", "--", .. StudentClients.Command("good_client.py")],
            TimeSpan.FromSeconds(180));

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Contains("Sandbox: NONE (--no-sandbox): your program runs unconfined", result.Stdout);
    }

    [Fact]
    public void Check_StrictWithNoFaults_IsAUsageError()
    {
        var result = CliRunner.Run(["lab", "check", "--strict", "--no-faults", "--stage", "info-hash", "--", "true"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("--strict grades with the faulty peers", result.Stderr);
    }

    [Fact]
    public void Check_Strict_SaysSoInTheReport()
    {
        var result = CliRunner.Run(["lab", "check", "--strict", "--no-sandbox", "--stage", "bencode-integers", "--seed", "3", "--",
            StudentClients.Python(), TestPaths.Fixture("students", "good_client.py")], TimeSpan.FromSeconds(180));

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Contains("Graded strictly (--strict)", result.Stdout);
    }

    [Fact]
    public void Check_FaultsAndNoFaults_IsAUsageError()
    {
        var result = CliRunner.Run(["lab", "check", "--faults", "--no-faults", "--stage", "info-hash", "--", "true"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("give --faults or --no-faults, not both", result.Stderr);
    }

    [Theory]
    [InlineData("--slow", "0.5")]
    [InlineData("--time-limit", "0")]
    public void Check_TimeOptionOutOfRange_IsAUsageError(string option, string value)
    {
        var result = CliRunner.Run(["lab", "check", option, value, "--stage", "info-hash", "--", "true"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains(option, result.Stderr);
    }

    [Fact]
    public void Class_ChecksEveryStudent_PrintsTheTableAndWritesOneReportEach()
    {
        using var temp = new TempFolder();
        var python = StudentClients.Python();
        File.WriteAllLines(temp.Combine("roster.txt"),
        [
            "# name  command",
            $"good    {python} {TestPaths.Fixture("students", "good_client.py")}",
            $"broken  {python} '{TestPaths.Fixture("students", "exits_one.py")}'",
        ]);

        var result = CliRunner.Run(["lab", "class", temp.Combine("roster.txt"), "--stage", "bencode-integers", "--seed", "5", "-o", temp.Combine("out")],
            TimeSpan.FromSeconds(180));

        Assert.Equal(CliRunner.Codes.Failed, result.ExitCode);
        var rows = result.Stdout.Split('\n');
        Assert.Contains("seed 5", rows[0]);
        Assert.StartsWith("Graded with faulty peers (the default)", rows[1]);
        Assert.Matches(@"^good +P +1/1", rows.Single(r => r.StartsWith("good ", StringComparison.Ordinal)));
        Assert.Matches(@"^broken +F +0/1 +bencode-integers: your output is right", rows.Single(r => r.StartsWith("broken ", StringComparison.Ordinal)));
        Assert.Contains("PASS  bencode-integers", File.ReadAllText(temp.Combine("out", "good.txt")));
        Assert.Contains("FAIL  bencode-integers", File.ReadAllText(temp.Combine("out", "broken.txt")));
        Assert.Equal(File.ReadAllText(temp.Combine("out", "class.txt")), result.Stdout[..result.Stdout.IndexOf("Reports: ", StringComparison.Ordinal)]);
        var lines = File.ReadAllLines(temp.Combine("out", "class.jsonl"));
        Assert.Equal(["good", "broken"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("student").GetString()));
        // No --jobs: as many at once as the measured pace allows (ClassAdmissionTests), said on stderr.
        Assert.Contains("checking 2 student(s), as many at a time as keep the checker's pace within 2x of its start", result.Stderr);
        Assert.Matches(@"at most [12] student\(s\) were checked at once", result.Stderr);
    }

    /// <summary>A class graded four at a time writes one gradebook line for every student, those whose program does not
    /// build or start included; a re-run grades only the student whose files changed.</summary>
    [Fact]
    public void Class_FourJobs_WritesOneGradebookLinePerStudent_AndARerunGradesOnlyWhatChanged()
    {
        using var temp = new TempFolder();
        var python = StudentClients.Python();
        // A submission folder recognised as Go whose go.mod is not one: its build fails, with or without Go installed.
        Directory.CreateDirectory(temp.Combine("nobuild"));
        File.WriteAllText(temp.Combine("nobuild", "go.mod"), "this is not a go.mod\n");
        File.WriteAllText(temp.Combine("changing.sh"), "echo 'not yet'\nexit 1\n");
        File.WriteAllLines(temp.Combine("roster.txt"),
        [
            $"good      {python} {TestPaths.Fixture("students", "good_client.py")}",
            "nobuild   nobuild/",
            "nostart   ./no-such-program",
            "changing  /bin/sh changing.sh",
        ]);
        string[] args = ["lab", "class", temp.Combine("roster.txt"), "--jobs", "4", "--stage", "bencode-integers", "--seed", "5", "-o", temp.Combine("out")];

        var first = CliRunner.Run(args, TimeSpan.FromSeconds(300));
        File.WriteAllText(temp.Combine("changing.sh"), "echo 52\n");
        var again = CliRunner.Run(args, TimeSpan.FromSeconds(300));

        Assert.True(first.ExitCode == CliRunner.Codes.Failed, first.Stdout + first.Stderr);
        Assert.Contains("checking 4 student(s), 4 at a time (--jobs)", first.Stderr);
        var book = File.ReadAllLines(temp.Combine("out", "class.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["good", "nobuild", "nostart", "changing"], book.Select(l => l.GetProperty("student").GetString()));
        Assert.Equal(["graded", "build-failed", "could-not-start", "graded"], book.Select(l => l.GetProperty("status").GetString()));
        Assert.Equal([1, 0, 0, 0], book.Select(l => l.GetProperty("passed").GetInt32()));
        Assert.Contains("could not start './no-such-program'", book[2].GetProperty("error").GetString());
        var csv = File.ReadAllLines(temp.Combine("out", "class.csv"));
        Assert.Equal("student,status,passed,checked,bencode-integers,first_failure,error", csv[0]);
        Assert.Equal(5, csv.Length);
        Assert.StartsWith("nobuild,build-failed,0,0,,", csv[2]);
        // The re-run: three grades kept, the changed script graded again (and now it fails differently: wrong JSON).
        Assert.Equal(3, again.Stderr.Split('\n').Count(l => l.EndsWith("unchanged since the last run, grade kept", StringComparison.Ordinal)));
        Assert.Contains("checking changing:", again.Stderr);
        var rerun = File.ReadAllLines(temp.Combine("out", "class.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([true, true, true, false], rerun.Select(l => l.GetProperty("kept_from_last_run").GetBoolean()));
        Assert.Equal(4, rerun.Count);
    }

    [Fact]
    public void Class_RosterWithoutCommand_IsAUsageError()
    {
        using var temp = new TempFolder();
        File.WriteAllLines(temp.Combine("roster.txt"), ["alice"]);

        var result = CliRunner.Run(["lab", "class", temp.Combine("roster.txt")]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("roster.txt:1: expected 'name command...'", result.Stderr);
    }

    /// <summary>The CI recipes of docs/exercises/README.md: each one's checker line, with its variables filled in and the
    /// reference client for the class's program, runs and prints JSON lines; a recipe that pipes the verdicts (tee) runs
    /// its step under pipefail, or its job would pass when a stage fails.</summary>
    [Fact]
    public void CiRecipes_CheckerLineRuns_AndAFailingStageFailsTheJob()
    {
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "exercises", "README.md"));
        var recipes = System.Text.RegularExpressions.Regex.Matches(page, "```yaml\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, recipes.Count);   // GitHub Actions, GitLab CI
        foreach (var recipe in recipes)
        {
            var line = Assert.Single(recipe.Split('\n'), l => l.Contains("torrentlab lab check", StringComparison.Ordinal));
            var command = line[(line.IndexOf("torrentlab lab check", StringComparison.Ordinal) + "torrentlab ".Length)..];
            if (command.Contains("| tee", StringComparison.Ordinal)) Assert.Contains("shell: bash", recipe);   // bash -eo pipefail
            // The CI's variables: the stages done so far (two, to keep the test short) and the run's number as the seed.
            var filled = command.Split(['|', '>'])[0].Replace("\"${LAB_THROUGH:-download-file}\"", "bencode-integers")
                .Replace("\"${{ github.run_number }}\"", "7").Replace("\"$CI_PIPELINE_IID\"", "7");
            var words = filled.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            var program = words.IndexOf("--");
            Assert.Equal(["python3", "main.py"], words[(program + 1)..]);

            var result = CliRunner.Run([.. words[..(program + 1)], .. StudentClients.Command("good_client.py")], TimeSpan.FromSeconds(180));

            Assert.True(result.ExitCode == CliRunner.Codes.Ok, $"{command}\n{result.Stdout}\n{result.Stderr}");
            var stages = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(["bencode-strings", "bencode-integers"], stages.Select(s => s.GetProperty("stage").GetString()));
            Assert.All(stages, s => Assert.Equal(2, s.GetProperty("slow").GetDouble()));
            Assert.All(stages, s => Assert.True(s.GetProperty("faults").GetBoolean()));   // the recipes grade strictly
        }
    }
}
