using System.CommandLine;
using TorrentLab.Lab;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab lab class ROSTER [--output DIR] [--seed N] [--stage|--through NAME] [--no-faults|--strict] [--jobs N]
/// [--sandbox|--no-sandbox] [--slow F] [--time-limit S]</c>: builds and checks every student of a roster on the same inputs,
/// several at a time, and prints one table; each student's report goes to a file, the gradebook to class.jsonl and class.csv. Exit 0 when every student passed every checked stage, 1 otherwise.</summary>
internal static class LabClassCommand
{
    public static Command Create()
    {
        var roster = new Argument<FileInfo>("roster") { Description = "The class roster: one student per line, 'name command...', commands run from the roster's folder" }.NotAnOption();
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Where the reports go (NAME.txt, NAME.jsonl, class.txt, class.jsonl); default: lab-class-SEED beside the roster" }.FolderNotFile();
        var seed = new Option<int?>("--seed") { Description = "Seed of every student's inputs (the same for all; printed in the table)" };
        var stage = LabCheckCommand.StageOption("--stage", "Check only this stage");
        var through = LabCheckCommand.StageOption("--through", "Check the stages from the first through this one");
        var mode = LabModeOptions.Create();
        var sandbox = LabSandboxOptions.Create();
        var timing = LabTimingOptions.Create();
        var jobs = new Option<int?>("--jobs", "-j")
        {
            Description = "Students checked at once, 1..64 (default: measured: another starts while the checker's pace stays within 2x of its start, at most 2 per processor); each student's time limits follow their own start-up and the load during each run",
        }.InRange(1, 64);
        var command = new Command("class", "Check every student of a roster on the same inputs: one table, one report file per student.")
        {
            roster, output, seed, stage, through, mode.Faults, mode.NoFaults, mode.Strict, sandbox.Require, sandbox.Off, jobs, timing.Slow, timing.TimeLimit,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var confined = sandbox.Apply(parse, new LabCheckOptions { Seed = 0 });
            if (await LabSandboxOptions.RunIsolatedAsync(confined, ct).ConfigureAwait(false) is { } code) return code;
            var options = timing.Apply(parse, mode.Apply(parse, confined with
            {
                Seed = parse.GetValue(seed) ?? LabCheckOptions.NewSeed(),
                Stage = parse.GetValue(stage),
                Through = parse.GetValue(through),
            }));
            IReadOnlyList<LabStage> stages;
            IReadOnlyList<ClassStudent> students;
            var file = parse.GetValue(roster)!;
            try
            {
                stages = LabStages.Select(options.Stage, options.Through);
                students = ClassRoster.Read(file.FullName);
            }
            catch (LabException e) { throw new UsageException(e.Message); }
            var folder = parse.GetValue(output)?.FullName ?? Path.Combine(file.DirectoryName!, $"lab-class-{options.Seed}");
            // Checked where parsed (OptionRules); not given: measured as the class runs (ClassAdmission).
            var report = new ClassReport(students, file.DirectoryName!, options, folder) { Jobs = parse.GetValue(jobs) };
            var rows = await report.RunAsync(Console.Error, ct).ConfigureAwait(false);
            Console.Out.Write(ClassReport.Table(rows, stages, options));
            Console.Out.WriteLine($"Reports: {folder} (gradebook: class.jsonl, class.csv)");
            return rows.All(r => r.Error is null && r.Verdicts.Count == stages.Count && r.Verdicts.All(v => v.Result == "PASS")) ? ExitCodes.Ok : ExitCodes.Failed;
        });
    }
}
