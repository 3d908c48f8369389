using System.CommandLine;
using TorrentLab.Lab;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab lab check [--stage NAME|--through NAME] [--faults] [--trace] [--seed N] -- &lt;command ...&gt;</c>:
/// runs a student's program through the stages on freshly generated inputs; exit 0 only when every checked stage passed.</summary>
internal static class LabCheckCommand
{
    public static Command Create()
    {
        var stage = new Option<string?>("--stage") { Description = "Check only this stage (see 'torrentlab lab list')" };
        var through = new Option<string?>("--through") { Description = "Check the stages from the first through this one" };
        var faults = new Option<bool>("--faults") { Description = "Add harder peers in the download and metadata stages (chokes mid-piece, a corrupt block or corrupt metadata every client meets, a slow peer, a rejecting peer)" };
        var trace = new Option<bool>("--trace") { Description = "Show the wire trace of a failing peer stage" };
        var seed = new Option<int?>("--seed") { Description = "Seed of everything the program is given and meets (printed by every run): payloads, torrents, peer ids, the tracker's peer order, which peer misbehaves and when; not ports or paths" };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Check the later stages even after one fails" };
        var program = new Argument<string[]>("command")
        {
            Description = "Your program and its leading arguments, after '--' (e.g. -- python3 my_client.py)",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("check", "Run your program through the lab's stages on fresh inputs and report PASS or FAIL with hints.")
        {
            stage, through, faults, trace, seed, keepGoing, program,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var options = new LabCheckOptions
            {
                Seed = parse.GetValue(seed) ?? LabCheckOptions.NewSeed(),
                Stage = parse.GetValue(stage),
                Through = parse.GetValue(through),
                Faults = parse.GetValue(faults),
                Trace = parse.GetValue(trace),
                KeepGoing = parse.GetValue(keepGoing),
            };
            // A wrong stage name is a usage error, reported before anything runs.
            try { LabStages.Select(options.Stage, options.Through); }
            catch (LabException e) { throw new UsageException(e.Message); }

            var checker = new LabChecker(new StudentProgram(parse.GetValue(program)!), options, Console.Out);
            var results = await checker.RunAsync(ct).ConfigureAwait(false);
            var all = LabStages.Select(options.Stage, options.Through).Count;
            return results.Count == all && results.All(r => r.Result.Passed) ? ExitCodes.Ok : ExitCodes.Failed;
        });
    }
}
