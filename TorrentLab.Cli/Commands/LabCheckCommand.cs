using System.CommandLine;
using TorrentLab.Lab;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab lab check [--stage NAME|--through NAME] [--no-faults] [--trace] [--seed N] [--slow F] [--time-limit S]
/// [--json] -- &lt;command ...&gt;</c>: runs a student's program through the stages on freshly generated inputs; exit 0
/// only when every checked stage passed.</summary>
internal static class LabCheckCommand
{
    public static Command Create()
    {
        var stage = new Option<string?>("--stage") { Description = "Check only this stage (see 'torrentlab lab list')" };
        var through = new Option<string?>("--through") { Description = "Check the stages from the first through this one" };
        var mode = LabModeOptions.Create();
        var trace = new Option<bool>("--trace") { Description = "Show the wire trace of a failing peer stage" };
        var seed = new Option<int?>("--seed") { Description = "Seed of everything the program is given and meets (printed by every run): payloads, torrents, peer ids, the tracker's peer order, which peer misbehaves and when; not ports or paths" };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Check the later stages even after one fails" };
        var options = LabTimingOptions.Create();
        var json = new Option<bool>("--json") { Description = "Print one JSON object per stage (JSON Lines: stage, verdict, seconds, seed, hint, ...) instead of the report" };
        var program = new Argument<string[]>("command")
        {
            Description = "Your program and its leading arguments, after '--' (e.g. -- python3 my_client.py)",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("check", "Run your program through the lab's stages on fresh inputs and report PASS or FAIL with hints.")
        {
            stage, through, mode.Faults, mode.NoFaults, trace, seed, keepGoing, options.Slow, options.TimeLimit, json, program,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var check = options.Apply(parse, mode.Apply(parse, new LabCheckOptions
            {
                Seed = parse.GetValue(seed) ?? LabCheckOptions.NewSeed(),
                Stage = parse.GetValue(stage),
                Through = parse.GetValue(through),
                Trace = parse.GetValue(trace),
                KeepGoing = parse.GetValue(keepGoing),
            }));
            // A wrong stage name is a usage error, reported before anything runs.
            try { LabStages.Select(check.Stage, check.Through); }
            catch (LabException e) { throw new UsageException(e.Message); }

            var student = new StudentProgram(parse.GetValue(program)!);
            var asJson = parse.GetValue(json);
            var checker = new LabChecker(student, check, asJson ? TextWriter.Null : Console.Out);
            var results = await checker.RunAsync(ct).ConfigureAwait(false);
            if (asJson)
                foreach (var (s, r) in results) Console.Out.WriteLine(LabJsonReport.StageLine(student.Display, checker.Timing, s, r));
            var all = LabStages.Select(check.Stage, check.Through).Count;
            return results.Count == all && results.All(r => r.Result.Passed) ? ExitCodes.Ok : ExitCodes.Failed;
        });
    }
}

/// <summary>The grading mode <c>lab check</c> and <c>lab class</c> share: with the faulty peers unless <c>--no-faults</c>
/// (a client that never verifies a piece or the metadata passes a grade with honest peers only).</summary>
internal sealed record LabModeOptions(Option<bool> Faults, Option<bool> NoFaults)
{
    public static LabModeOptions Create() => new(
        new Option<bool>("--faults") { Description = "Grade with the harder peers (the default; kept for scripts that say it): chokes mid-piece, a corrupt block or corrupt metadata every client meets, a slow peer, a rejecting peer, lost DHT queries" },
        new Option<bool>("--no-faults") { Description = "Grade with honest peers only: a client that never verifies a piece or the metadata can pass" });

    /// <summary>The options with the grading mode; <c>--faults</c> with <c>--no-faults</c> is a usage error.</summary>
    public LabCheckOptions Apply(ParseResult parse, LabCheckOptions options)
    {
        var noFaults = parse.GetValue(NoFaults);
        if (noFaults && parse.GetValue(Faults)) throw new UsageException("give --faults or --no-faults, not both (the faulty peers are the default)");
        return options with { Faults = !noFaults };
    }
}

/// <summary>The time options <c>lab check</c> and <c>lab class</c> share: <c>--slow</c> and <c>--time-limit</c>.</summary>
internal sealed record LabTimingOptions(Option<double> Slow, Option<double?> TimeLimit)
{
    public static LabTimingOptions Create() => new(
        new Option<double>("--slow")
        {
            Description = "Multiply every time limit by this factor (1 or more) for slow machines or languages; the limits already grow with your program's measured start-up",
            DefaultValueFactory = _ => 1,
        },
        new Option<double?>("--time-limit") { Description = "Every stage's time limit in seconds instead of its own (before the start-up allowance and --slow)" });

    /// <summary>The options with the parsed time settings; a slow factor under 1 or a limit of 0 or less is a usage error.</summary>
    public LabCheckOptions Apply(ParseResult parse, LabCheckOptions options)
    {
        var slow = parse.GetValue(Slow);
        if (slow < 1 || double.IsNaN(slow) || double.IsInfinity(slow)) throw new UsageException($"--slow must be a number of 1 or more, got {slow}");
        var limit = parse.GetValue(TimeLimit);
        if (limit is { } l && (l <= 0 || double.IsNaN(l) || l > 3600)) throw new UsageException($"--time-limit must be more than 0 and at most 3600 seconds, got {l}");
        return options with { Slow = slow, TimeLimit = limit is { } s ? TimeSpan.FromSeconds(s) : null };
    }
}
