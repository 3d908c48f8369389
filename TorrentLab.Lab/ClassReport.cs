using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TorrentLab.Lab;

/// <summary>Checks a whole class (<c>lab class ROSTER</c>): every student's program through the same stages on the same
/// seed, <see cref="Jobs"/> students at a time, and writes a gradebook.</summary>
/// <remarks>The output folder gets, per student, <c>NAME.txt</c> (the report <c>lab check</c> prints), <c>NAME.jsonl</c>
/// (its <c>--json</c> lines) and <c>NAME.grade.json</c> (the student's gradebook line); for the class, <c>class.txt</c>
/// (the table), <c>class.jsonl</c> (one line per student, those whose program did not build or start included) and
/// <c>class.csv</c> (the same, for a spreadsheet). A student whose fingerprint (<see cref="ClassSubmission.Fingerprint"/>:
/// their files, the roster line, the options, the checker) matches their last grade in the output folder is not checked
/// again: a re-run grades only what changed. Every student's time limits follow their own start-up, measured under the
/// load of the others, and the load during each run (<see cref="LabPace"/>).</remarks>
public sealed class ClassReport(IReadOnlyList<ClassStudent> students, string workingDirectory, LabCheckOptions options, string outputFolder)
{
    /// <summary>How long a build may take: a first Rust or C# build on a loaded machine takes minutes.</summary>
    public static readonly TimeSpan BuildLimit = TimeSpan.FromMinutes(10);

    /// <summary>How many students are checked at once (at least 1); null: as many as the machine takes, measured as the
    /// class runs (<see cref="ClassAdmission"/>).</summary>
    public int? Jobs { get; init; } = 1;

    /// <summary>The clock the measured admission waits on between looks at the pace.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The most students that were checked at once in the last <see cref="RunAsync"/>.</summary>
    public int MostAtOnce { get; private set; }

    // With a measured admission, how often a class waiting to start its next student looks at the pace again.
    private static readonly TimeSpan Look = TimeSpan.FromSeconds(1);

    /// <summary>What became of a student: graded, or why not.</summary>
    public enum Outcome { Graded, BuildFailed, CouldNotStart }

    /// <summary>One stage's verdict as the gradebook keeps it: PASS, FAIL or TIMEOUT, and the hint of a failure.</summary>
    public sealed record Verdict(string Stage, string Result, string? Hint);

    /// <summary>One student's line of the gradebook.</summary>
    /// <param name="Student">The student, as the roster lists them.</param>
    /// <param name="Results">This run's verdicts in full; empty when the grade was kept from the last run (<see cref="Cached"/>) or none could be made.</param>
    /// <param name="Error">Why no verdict could be made (a build that failed, a program that cannot start), or null.</param>
    public sealed record Row(ClassStudent Student, IReadOnlyList<(LabStage Stage, StageResult Result)> Results, string? Error)
    {
        public Outcome Status { get; init; } = Error is null ? Outcome.Graded : Outcome.CouldNotStart;
        public IReadOnlyList<Verdict> Verdicts { get; init; } = Results.Select(r => new Verdict(r.Stage.Name,
            r.Result.Passed ? "PASS" : r.Result.TimedOut ? "TIMEOUT" : "FAIL", r.Result.Passed ? null : r.Result.Hint)).ToList();
        public string Fingerprint { get; init; } = "";
        public bool Cached { get; init; }
    }

    /// <summary>Checks every student, <see cref="Jobs"/> at a time, writes the files, and returns the rows in roster order.</summary>
    public async Task<IReadOnlyList<Row>> RunAsync(TextWriter progress, CancellationToken ct)
    {
        if (Jobs < 1) throw new LabException($"jobs must be 1 or more, got {Jobs}");
        Directory.CreateDirectory(outputFolder);
        var stages = LabStages.Select(options.Stage, options.Through);
        // One pace for the class: the load every student's runs make is the load each run is measured against.
        using var measured = options.Pace is null ? LabPace.Measure() : null;
        var shared = options with { Pace = options.Pace ?? measured, KeepGoing = true };
        var admission = Jobs is null ? new ClassAdmission(shared.Pace!, ClassAdmission.DefaultCap(Environment.ProcessorCount), Time) : null;
        await progress.WriteLineAsync(admission is null
            ? $"checking {students.Count} student(s), {Jobs} at a time (--jobs)"
            : $"checking {students.Count} student(s), as many at a time as keep the checker's pace within {ClassAdmission.Budget:0}x of its start " +
              $"(at most {admission.Cap} here; --jobs N fixes it)").ConfigureAwait(false);
        var rows = new Row[students.Count];
        var running = new List<Task>();
        MostAtOnce = 0;
        for (var next = 0; next < students.Count || running.Count > 0;)
        {
            while (next < students.Count && (admission?.MayStart(running.Count) ?? running.Count < Jobs))
            {
                var i = next++;
                running.Add(Task.Run(async () => rows[i] = await GradeAsync(students[i], shared, progress, ct).ConfigureAwait(false), ct));
                admission?.Started();
                MostAtOnce = Math.Max(MostAtOnce, running.Count);
            }
            var finished = Task.WhenAny(running);
            if (admission is not null && next < students.Count) await Task.WhenAny(finished, Task.Delay(Look, Time, ct)).ConfigureAwait(false);
            else await finished.ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            foreach (var done in running.Where(t => t.IsCompleted).ToList())
            {
                running.Remove(done);
                await done.ConfigureAwait(false);   // a failure of the checker itself ends the class, as before
            }
        }
        if (admission is not null) await progress.WriteLineAsync($"at most {MostAtOnce} student(s) were checked at once").ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, "class.txt"), Table(rows, stages, options), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, "class.jsonl"), string.Concat(rows.Select(r => GradebookLine(r) + "\n")), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, "class.csv"), Csv(rows, stages), ct).ConfigureAwait(false);
        return rows;
    }

    private async Task<Row> GradeAsync(ClassStudent student, LabCheckOptions check, TextWriter progress, CancellationToken ct)
    {
        var folder = student.Folder is null ? workingDirectory : Path.GetFullPath(student.Folder, workingDirectory);
        ClassSubmission? submission = null;
        string? error = null;
        string? commit = null;   // a git submission's commit: what is graded, and all its fingerprint needs
        if (student.Folder is not null && (student.Git || ClassGit.IsRepository(folder)))
        {
            try
            {
                if (!Directory.Exists(folder)) throw new LabException($"the git repository {student.Folder} does not exist");
                if (!ClassGit.IsRepository(folder)) throw new LabException($"{student.Folder} is not a git repository");
                commit = await ClassGit.ResolveAsync(folder, student.GitReference, ct).ConfigureAwait(false);
            }
            catch (LabException e) { error = e.Message; }
        }
        else if (student.Folder is not null)
        {
            try { submission = ClassSubmission.Detect(folder); }
            catch (LabException e) { error = e.Message; }
        }
        // What the grade depends on: the files the roster line names inside the roster's folder (a named file's folder,
        // unless that is the roster's own), or the submission folder; the line; the options; the checker's own build.
        var paths = commit is not null ? [] : student.Folder is not null ? [folder]
            : student.Command.Select(w => Path.GetFullPath(w, workingDirectory))
                .Where(p => p.StartsWith(Path.GetFullPath(workingDirectory).TrimEnd('/') + "/", StringComparison.Ordinal) && (File.Exists(p) || Directory.Exists(p)))
                .Select(p => File.Exists(p) && Path.GetDirectoryName(p) != Path.GetFullPath(workingDirectory).TrimEnd('/') ? Path.GetDirectoryName(p)! : p)
                .ToList();
        var fingerprint = ClassSubmission.Fingerprint(
            [student.Name, string.Join('\u0001', student.Command), student.Folder ?? "", student.GitReference ?? "", commit ?? "", Options(check),
             typeof(ClassReport).Assembly.ManifestModule.ModuleVersionId.ToString()], paths);
        if (Previous(student, fingerprint) is { } kept)
        {
            await progress.WriteLineAsync($"{student.Name}: unchanged since the last run, grade kept").ConfigureAwait(false);
            return kept;
        }

        var report = new StringWriter();
        var json = new StringBuilder();
        Row row;
        if (error is not null)
        {
            await progress.WriteLineAsync($"checking {student.Name}: {error}").ConfigureAwait(false);
            report.WriteLine($"error: {error}");
            row = new Row(student, [], error) { Status = Outcome.BuildFailed };
        }
        else
        {
            var scratch = Path.Combine(check.Sandbox is null ? Path.GetTempPath() : StudentSandbox.ScratchParent, $"torrentlab-class-{Guid.NewGuid():N}");
            try
            {
                if (commit is not null)
                {
                    // The commit, cloned into the scratch folder: what the student committed, built away from their repository.
                    folder = Path.Combine(scratch, "submission");
                    try
                    {
                        await ClassGit.CloneAsync(Path.GetFullPath(student.Folder!, workingDirectory), commit, folder, ct).ConfigureAwait(false);
                        submission = ClassSubmission.Detect(folder);
                    }
                    catch (LabException e) { error = e.Message; }
                    report.WriteLine($"Submission: git repository {student.Folder} at commit {commit}{(student.GitReference is null ? "" : $" ({student.GitReference})")}");
                    if (error is not null) report.WriteLine($"error: {error}");
                }
                var command = submission?.Run ?? student.Command;
                await progress.WriteLineAsync($"checking {student.Name}: {(submission is null ? "" : $"{submission.Language} in {student.Folder}{(commit is null ? "" : $" at {commit[..12]}")}, ")}{string.Join(' ', command.Select(StudentProgram.Quote))}").ConfigureAwait(false);
                var buildError = error ?? (submission?.Build is { } build ? await BuildAsync(build, folder, scratch, check, report, ct).ConfigureAwait(false) : null);
                if (buildError is not null)
                    row = new Row(student, [], buildError) { Status = Outcome.BuildFailed };
                else
                {
                    var program = new StudentProgram(command, folder);
                    var checker = new LabChecker(program, check, report);
                    var results = await checker.RunAsync(ct).ConfigureAwait(false);
                    foreach (var (stage, result) in results) json.AppendLine(LabJsonReport.StageLine(program.Display, checker.Timing, stage, result));
                    row = new Row(student, results, null);
                }
            }
            catch (LabException e)
            {
                report.WriteLine($"error: {e.Message}");
                row = new Row(student, [], e.Message) { Status = Outcome.CouldNotStart };
            }
            finally
            {
                try { if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true); }
                catch (IOException) { /* a build's leftover in the temporary folder: harmless */ }
            }
        }
        row = row with { Fingerprint = fingerprint };
        await File.WriteAllTextAsync(Path.Combine(outputFolder, student.Name + ".txt"), report.ToString(), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, student.Name + ".jsonl"), json.ToString(), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(outputFolder, student.Name + ".grade.json"), GradebookLine(row) + "\n", ct).ConfigureAwait(false);
        return row;
    }

    // Runs the starter's build in the submission's folder, in the same sandbox and clean environment as the program
    // (the folder writable, since the build writes there); returns why it failed, or null.
    private static async Task<string?> BuildAsync(IReadOnlyList<string> build, string folder, string scratch, LabCheckOptions check, TextWriter report, CancellationToken ct)
    {
        var home = Directory.CreateDirectory(Path.Combine(scratch, "home")).FullName;
        var builder = check.Sandbox is { } sandbox ? new StudentProgram(build, folder, home, sandbox, folder) : new StudentProgram(build, folder, home);
        report.WriteLine($"Building: {builder.Display} (in {folder})");
        StudentRun run;
        try { run = await builder.RunAsync([], BuildLimit, ct: ct).ConfigureAwait(false); }
        catch (LabException e) { return $"the build could not start: {e.Message}"; }   // no compiler: the build failed, not the program
        if (run.Succeeded) return null;
        var output = StudentRun.Shorten((run.Stderr + run.Stdout).TrimEnd(), 8);
        report.WriteLine(output);
        return run.TimedOut ? $"the build '{builder.Display}' ran longer than {BuildLimit.TotalMinutes:0} minutes" : $"the build '{builder.Display}' failed ({run.Outcome.Split(',')[0]})";
    }

    private static string Options(LabCheckOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"seed={o.Seed} stage={o.Stage} through={o.Through} faults={o.Faults} strict={o.Strict} slow={o.Slow} limit={o.TimeLimit?.TotalSeconds} sandbox={o.Sandbox is not null}");

    // The student's last grade, when it was made from the same fingerprint and its report is still there.
    private Row? Previous(ClassStudent student, string fingerprint)
    {
        var file = Path.Combine(outputFolder, student.Name + ".grade.json");
        if (!File.Exists(file) || !File.Exists(Path.Combine(outputFolder, student.Name + ".txt"))) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var line = document.RootElement;
            if (line.GetProperty("fingerprint").GetString() != fingerprint) return null;
            var status = line.GetProperty("status").GetString() switch
            {
                "graded" => Outcome.Graded, "build-failed" => Outcome.BuildFailed, _ => Outcome.CouldNotStart,
            };
            var verdicts = line.GetProperty("stages").EnumerateArray().Select(v => new Verdict(v.GetProperty("stage").GetString()!,
                v.GetProperty("verdict").GetString()!, v.GetProperty("hint").GetString())).ToList();
            return new Row(student, [], line.GetProperty("error").GetString()) { Status = status, Verdicts = verdicts, Fingerprint = fingerprint, Cached = true };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;   // a grade file from another version or edited by hand: grade again
        }
    }

    /// <summary>The student's gradebook line: <c>{"student", "status": "graded"|"build-failed"|"could-not-start", "passed",
    /// "checked", "error", "first_failure", "stages": [{"stage", "verdict", "hint"}], "seed", "faults", "strict", "fingerprint",
    /// "kept_from_last_run"}</c>.</summary>
    public string GradebookLine(Row row)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("student", row.Student.Name);
            json.WriteString("status", Status(row.Status));
            json.WriteNumber("passed", row.Verdicts.Count(v => v.Result == "PASS"));
            json.WriteNumber("checked", row.Verdicts.Count);
            if (row.Error is null) json.WriteNull("error"); else json.WriteString("error", row.Error);
            if (FirstFailure(row) is { } first) json.WriteString("first_failure", first); else json.WriteNull("first_failure");
            json.WriteStartArray("stages");
            foreach (var v in row.Verdicts)
            {
                json.WriteStartObject();
                json.WriteString("stage", v.Stage);
                json.WriteString("verdict", v.Result);
                if (v.Hint is null) json.WriteNull("hint"); else json.WriteString("hint", v.Hint);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("seed", options.Seed);
            json.WriteBoolean("faults", options.Faults);
            json.WriteBoolean("strict", options.Strict);
            json.WriteString("fingerprint", row.Fingerprint);
            json.WriteBoolean("kept_from_last_run", row.Cached);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The gradebook for a spreadsheet (RFC 4180): student, status, passed, checked, one column per stage, the
    /// first failure and the error.</summary>
    public static string Csv(IReadOnlyList<Row> rows, IReadOnlyList<LabStage> stages)
    {
        static string Field(string? text) => text is null ? "" : text.Any(c => c is ',' or '"' or '\n' or '\r') ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
        var csv = new StringBuilder();
        csv.Append("student,status,passed,checked,").Append(string.Join(',', stages.Select(s => s.Name))).Append(",first_failure,error\r\n");
        foreach (var row in rows)
        {
            csv.Append(Field(row.Student.Name)).Append(',').Append(Status(row.Status)).Append(',')
                .Append(row.Verdicts.Count(v => v.Result == "PASS").ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(row.Verdicts.Count.ToString(CultureInfo.InvariantCulture)).Append(',');
            foreach (var stage in stages) csv.Append(row.Verdicts.FirstOrDefault(v => v.Stage == stage.Name)?.Result ?? "").Append(',');
            csv.Append(Field(FirstFailure(row))).Append(',').Append(Field(row.Error)).Append("\r\n");
        }
        return csv.ToString();
    }

    private static string Status(Outcome outcome) => outcome switch
    {
        Outcome.Graded => "graded", Outcome.BuildFailed => "build-failed", _ => "could-not-start",
    };

    private static string? FirstFailure(Row row) =>
        row.Verdicts.FirstOrDefault(v => v.Result != "PASS") is { } first ? $"{first.Stage}: {first.Hint ?? "(no hint)"}" : null;

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
            var cells = stages.Select(s => row.Verdicts.FirstOrDefault(v => v.Stage == s.Name) is { } found
                ? (found.Result == "PASS" ? " P" : found.Result == "TIMEOUT" ? " T" : " F") : " .");
            var passed = row.Verdicts.Count(v => v.Result == "PASS");
            var failure = row.Error is not null ? (row.Status == Outcome.BuildFailed ? "build failed: " : "error: ") + row.Error
                : FirstFailure(row) is { } first ? Shorten(first, 90 + first.IndexOf(':', StringComparison.Ordinal) + 2) : "";
            text.AppendLine($"{row.Student.Name.PadRight(nameWidth)}  {string.Join(' ', cells)}  {passed,3}/{stages.Count,-2}  {failure}".TrimEnd());
        }
        text.AppendLine("P pass, F fail, T killed at its time limit, . not checked; each student's report: NAME.txt (and NAME.jsonl); gradebook: class.jsonl, class.csv");
        return text.ToString();
    }

    private static string Number(LabStage stage)
    {
        for (var i = 0; i < LabStages.All.Count; i++)
            if (LabStages.All[i] == stage) return (i + 1).ToString("00", CultureInfo.InvariantCulture);
        return "??";
    }

    private static string Shorten(string text, int max)
    {
        var line = text.Replace('\n', ' ');
        return line.Length <= max ? line : line[..(max - 3)] + "...";
    }
}
