using System.Text;

namespace TorrentLab.Lab;

/// <summary>Checks a whole class (<c>lab class ROSTER</c>): every student's program through the same stages on the same
/// seed, one after another (so no student's program slows another's), writing each student's report to a file of its own
/// and one table of every verdict.</summary>
/// <remarks>The output folder gets <c>NAME.txt</c> (the report <c>lab check</c> prints) and <c>NAME.jsonl</c> (its
/// <c>--json</c> lines) per student, and <c>class.txt</c> (the table) and <c>class.jsonl</c> (every line, with the
/// student's name). The same roster and seed give the same inputs to everyone, so a run can be repeated.</remarks>
public sealed class ClassReport(IReadOnlyList<ClassStudent> students, string workingDirectory, LabCheckOptions options, string outputFolder)
{
    /// <summary>One student's verdicts, or the reason none could be made (their program cannot be started).</summary>
    public sealed record Row(ClassStudent Student, IReadOnlyList<(LabStage Stage, StageResult Result)> Results, string? Error);

    /// <summary>Checks every student in turn and writes the files; returns the rows in roster order.</summary>
    public async Task<IReadOnlyList<Row>> RunAsync(TextWriter progress, CancellationToken ct)
    {
        Directory.CreateDirectory(outputFolder);
        var stages = LabStages.Select(options.Stage, options.Through);
        var rows = new List<Row>();
        var everyLine = new StringBuilder();
        foreach (var student in students)
        {
            progress.WriteLine($"checking {student.Name}: {string.Join(' ', student.Command.Select(StudentProgram.Quote))}");
            var report = new StringWriter();
            Row row;
            var json = new StringBuilder();
            try
            {
                var program = new StudentProgram(student.Command, workingDirectory);
                var checker = new LabChecker(program, options with { KeepGoing = true }, report);
                var results = await checker.RunAsync(ct).ConfigureAwait(false);
                foreach (var (stage, result) in results)
                {
                    var line = LabJsonReport.StageLine(program.Display, checker.Timing, stage, result);
                    json.AppendLine(line);
                    everyLine.AppendLine("{\"student\":" + System.Text.Json.JsonSerializer.Serialize(student.Name, LabJsonContext.Default.String) + "," + line[1..]);
                }
                row = new Row(student, results, null);
            }
            catch (LabException e)
            {
                report.WriteLine($"error: {e.Message}");
                row = new Row(student, [], e.Message);
            }
            await File.WriteAllTextAsync(Path.Combine(outputFolder, student.Name + ".txt"), report.ToString(), ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(outputFolder, student.Name + ".jsonl"), json.ToString(), ct).ConfigureAwait(false);
            rows.Add(row);
        }
        var table = Table(rows, stages, options);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, "class.txt"), table, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, "class.jsonl"), everyLine.ToString(), ct).ConfigureAwait(false);
        return rows;
    }

    /// <summary>The class table: one row per student, one column per stage (P pass, F fail, T killed at its time limit),
    /// the count passed and the first failing stage's hint, shortened.</summary>
    public static string Table(IReadOnlyList<Row> rows, IReadOnlyList<LabStage> stages, LabCheckOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine($"Class check, seed {options.Seed} (repeat with --seed {options.Seed})");
        text.AppendLine(options.ModeLine);
        text.AppendLine("Stages: " + string.Join("  ", stages.Select((s, i) => $"{Number(s)}={s.Name}")));
        var nameWidth = Math.Max(7, rows.Max(r => r.Student.Name.Length));
        text.AppendLine($"{"student".PadRight(nameWidth)}  {string.Join(' ', stages.Select(Number))}  passed  first failure");
        foreach (var row in rows)
        {
            var cells = stages.Select(s => row.Results.FirstOrDefault(r => r.Stage == s) is { Stage: not null } found
                ? (found.Result.Passed ? " P" : found.Result.TimedOut ? " T" : " F") : " .");
            var passed = row.Results.Count(r => r.Result.Passed);
            var failure = row.Error is not null ? $"error: {row.Error}"
                : row.Results.FirstOrDefault(r => !r.Result.Passed) is { Stage: not null } first
                    ? $"{first.Stage.Name}: {Shorten(first.Result.Hint ?? "(no hint)", 90)}" : "";
            text.AppendLine($"{row.Student.Name.PadRight(nameWidth)}  {string.Join(' ', cells)}  {passed,3}/{stages.Count,-2}  {failure}".TrimEnd());
        }
        text.AppendLine("P pass, F fail, T killed at its time limit, . not checked; each student's report: NAME.txt (and NAME.jsonl)");
        return text.ToString();
    }

    private static string Number(LabStage stage)
    {
        for (var i = 0; i < LabStages.All.Count; i++)
            if (LabStages.All[i] == stage) return (i + 1).ToString("00", System.Globalization.CultureInfo.InvariantCulture);
        return "??";
    }

    private static string Shorten(string text, int max)
    {
        var line = text.Replace('\n', ' ');
        return line.Length <= max ? line : line[..(max - 3)] + "...";
    }
}
