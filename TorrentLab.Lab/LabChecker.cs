using System.Diagnostics;

namespace TorrentLab.Lab;

/// <summary>Runs the student's program through the chosen stages, in order, and writes a report: PASS or FAIL per
/// stage, with what was expected, what came out, and a hint drawn from the evidence.</summary>
/// <remarks>Stops at the first failing stage unless <see cref="LabCheckOptions.KeepGoing"/> (later stages build on
/// earlier ones). Each stage's inputs come from its own random source, seeded from the run's seed and the stage's
/// position in <see cref="LabStages.All"/>.</remarks>
public sealed class LabChecker(StudentProgram originalProgram, LabCheckOptions options, TextWriter output)
{
    /// <summary>Checks the stages and returns the verdicts; throws only when the lab itself cannot work.</summary>
    /// <exception cref="LabException">An unknown stage name, or a program that cannot be started.</exception>
    public async Task<IReadOnlyList<(LabStage Stage, StageResult Result)>> RunAsync(CancellationToken ct = default)
    {
        var stages = LabStages.Select(options.Stage, options.Through);
        if (options.Slow < 1 || double.IsNaN(options.Slow)) throw new LabException($"the slow factor must be 1 or more, got {options.Slow}");
        output.WriteLine($"Checking '{originalProgram.Display}' with seed {options.Seed} (repeat these inputs with --seed {options.Seed})");
        output.WriteLine(options.ModeLine);
        if (options.Sandbox is not null && !StudentSandbox.CheckerIsolated && stages.Any(s => s.UsesNetwork))
            throw new LabException("a sandboxed check of a network stage needs the checker in a network namespace of its own (torrentlab lab check " +
                "starts one): outside it, a run either cannot reach the checker's peers or would share the teacher's network");
        output.WriteLine(options.Sandbox?.Describe()
            ?? $"Sandbox: NONE ({options.NoSandboxReason ?? "not asked for"}): your program runs unconfined, as you, with your files and network.");
        var results = new List<(LabStage, StageResult)>();
        using var measured = options.Pace is null ? LabPace.Measure() : null;
        var pace = options.Pace ?? measured!;
        var root = Path.Combine(options.Sandbox is null ? Path.GetTempPath() : StudentSandbox.ScratchParent, $"torrentlab-lab-{options.Seed}-{Guid.NewGuid():N}");
        try
        {
            // A HOME of the program's own for the whole check (a runtime may keep a cache there between runs), never the teacher's.
            var program = originalProgram.WithHome(Directory.CreateDirectory(Path.Combine(root, "home")).FullName);
            if (options.Sandbox is { } sandbox) program = program.InSandbox(sandbox, root);
            var timing = (options.Startup is { } known ? new LabTiming(known, options.Slow)
                : await LabTiming.MeasureAsync(program, options.Slow, ct).ConfigureAwait(false)) with { Pace = pace };
            Timing = timing;
            output.WriteLine(timing.Describe());
            foreach (var stage in stages)
            {
                var index = LabStageIndex(stage);
                var random = new Random(unchecked(options.Seed * 1_000_003 + index));
                var folder = Directory.CreateDirectory(Path.Combine(root, stage.Name)).FullName;
                var context = new StageContext(stage, program, random, folder, options, timing);
                var clock = Stopwatch.StartNew();
                var result = await stage.Check(context, ct).ConfigureAwait(false);
                var timedOut = !result.Passed && context.LastRun is { TimedOut: true };
                // A run killed at its limit is reported as a timeout, not with a guess drawn from the output it had no time to print.
                if (timedOut && !result.HintStandsOnTimeout) result = result with { Hint = timing.TimeoutHint(context.LastRun!) };
                // A hint that stands on a timeout (a right output that never exited) still says what the limit was made of.
                else if (timedOut) result = result with { Hint = $"{result.Hint} (this run's limit: {LabTiming.Seconds(context.LastRun!.Limit)} s; {timing.Limits(context.LastRun!)}; --slow 2 gives more time)" };
                // A run that met a cap of the sandbox (memory, processes, disk, CPU) is reported as that cap, never as an exit code.
                else if (!result.Passed && context.LastRun is { CapHint: { } capHint } capped && result.Hint?.Contains(capped.Stop!, StringComparison.Ordinal) != true)
                    result = result with { Hint = capHint };
                result = result with { Seed = options.Seed, Elapsed = clock.Elapsed, TimedOut = timedOut, Faults = options.Faults, Stop = result.Passed ? null : context.LastRun?.Stop };
                results.Add((stage, result));
                Write(stage, result, clock.Elapsed);
                if (!result.Passed && !options.KeepGoing && stage != stages[^1])
                {
                    output.WriteLine($"Stopped at the first failing stage: fix '{stage.Name}' and run again (--keep-going checks the later stages too).");
                    break;
                }
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException e) { output.WriteLine($"note: could not delete {root}: {e.Message}"); }
            catch (UnauthorizedAccessException e) { output.WriteLine($"note: could not delete {root}: {e.Message}"); }
        }
        var passed = results.Count(r => r.Item2.Passed);
        output.WriteLine(passed == stages.Count
            ? $"All {stages.Count} stage(s) passed."
            : $"{passed} of {stages.Count} stage(s) passed.");
        return results;
    }

    /// <summary>The start-up measured (or given) for this run; <see cref="LabTiming.None"/> before <see cref="RunAsync"/>.</summary>
    public LabTiming Timing { get; private set; } = LabTiming.None;

    private static int LabStageIndex(LabStage stage)
    {
        for (var i = 0; i < LabStages.All.Count; i++)
            if (LabStages.All[i] == stage) return i;
        return -1;
    }

    private void Write(LabStage stage, StageResult result, TimeSpan elapsed)
    {
        var runs = result.Cases == 1 ? "1 run" : $"{result.Cases} runs";
        output.WriteLine($"{(result.Passed ? "PASS" : "FAIL")}  {stage.Name,-21} {stage.CommandShape}  ({runs}, {elapsed.TotalSeconds:0.0} s)");
        if (result.Passed) return;
        if (result.Stop is not null) Field("STOPPED", result.Stop);
        Field("ran", result.Ran);
        Field("expected", result.Expected);
        Field("got", result.Actual);
        if (result.Hint is not null) Field("HINT", result.Hint);
        if (result.Evidence.Count > 0)
        {
            output.WriteLine("      evidence:");
            foreach (var line in result.Evidence) output.WriteLine($"        {line}");
        }
        output.WriteLine($"      exercise: {stage.Exercise}; model answer: {stage.ModelAnswer}");
    }

    private void Field(string name, string text)
    {
        var lines = text.Replace("\r", "").Split('\n');
        output.WriteLine($"      {name + ":",-10} {lines[0]}");
        foreach (var line in lines.Skip(1)) output.WriteLine($"      {"",-10} {line}");
    }
}
