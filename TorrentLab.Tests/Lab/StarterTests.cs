using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>The starter templates of docs/exercises/starters/: each one, built as its page says, runs under the checker
/// and fails every stage with "not implemented". A language whose toolchain is not installed is skipped, with the reason.</summary>
[Trait("Tier", "Slow")]
public class StarterTests
{
    [Theory]
    [InlineData("python")]
    [InlineData("javascript")]
    [InlineData("go")]
    [InlineData("rust")]
    [InlineData("csharp")]
    [InlineData("java")]
    public async Task Starter_RunsAndFailsEveryStageWithNotImplemented(string language)
    {
        using var temp = new TempFolder("torrentlab-starter");
        var command = Prepare(language, temp);

        var (results, report) = await StudentClients.CheckAsync(command, new LabCheckOptions { Seed = 8, KeepGoing = true });

        Assert.Equal(LabStages.All.Select(s => s.Name), results.Select(r => r.Stage.Name));
        Assert.All(results, r =>
        {
            Assert.False(r.Result.Passed, report);
            Assert.Contains("not implemented: ", r.Result.Actual);
        });
    }

    /// <summary>Copies the starter out of the repository (away from its build settings, as a student copies it), builds
    /// it when the language compiles, and returns the command that runs it.</summary>
    private static string[] Prepare(string language, TempFolder temp)
    {
        var source = Path.Combine(TestPaths.RepoRoot, "docs", "exercises", "starters", language);
        Copy(source, temp.Path);
        string Tool(string name) => FindOnPath(name) ?? throw Xunit.Sdk.SkipException.ForSkip($"'{name}' is not installed: the {language} starter cannot run here");
        switch (language)
        {
            case "python": return [StudentClients.Python(), temp.Combine("main.py")];
            case "javascript": return [Tool("node"), temp.Combine("main.js")];
            case "go":
                Build(Tool("go"), ["build", "-o", "client", "."], temp);
                return [temp.Combine("client")];
            case "rust":
                // rustc alone (as cargo build would, without needing the network): the starter has no dependencies.
                Build(Tool("rustc"), ["-O", "-o", "client", "src/main.rs"], temp);
                return [temp.Combine("client")];
            case "csharp":
                Build(Tool("dotnet"), ["build", "-c", "Release", "-o", "out", "-v", "q"], temp);
                return ["dotnet", temp.Combine("out", "Client.dll")];
            case "java":
                Build(Tool("javac"), ["-d", "out", "Main.java"], temp);
                return [Tool("java"), "-cp", temp.Combine("out"), "Main"];
            default:
                throw new ArgumentOutOfRangeException(nameof(language), language, "no such starter");
        }
    }

    private static void Build(string tool, string[] args, TempFolder temp)
    {
        var result = ProcessRunner.Run(tool, args, TimeSpan.FromMinutes(5), temp.Path);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed:\n{result.Stdout}\n{result.Stderr}");
    }

    internal static void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
