using System.CommandLine;
using TorrentLab.Lab;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab lab check [--stage NAME|--through NAME] [--no-faults|--strict] [--trace] [--seed N] [--slow F] [--time-limit S]
/// [--json] -- &lt;command ...&gt;</c>: runs a student's program through the stages on freshly generated inputs; exit 0
/// only when every checked stage passed.</summary>
internal static class LabCheckCommand
{
    public static Command Create()
    {
        var stage = StageOption("--stage", "Check only this stage (see 'torrentlab lab list')");
        var through = StageOption("--through", "Check the stages from the first through this one");
        var mode = LabModeOptions.Create();
        var sandbox = LabSandboxOptions.Create();
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
            stage, through, mode.Faults, mode.NoFaults, mode.Strict, sandbox.Require, sandbox.Off, trace, seed, keepGoing, options.Slow, options.TimeLimit, json, program,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var confined = sandbox.Apply(parse, new LabCheckOptions { Seed = 0 });
            if (await LabSandboxOptions.RunIsolatedAsync(confined, ct).ConfigureAwait(false) is { } code) return code;
            var check = options.Apply(parse, mode.Apply(parse, confined with
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

    /// <summary><c>--stage NAME</c> or <c>--through NAME</c>: a stage <c>lab list</c> names, checked where parsed.</summary>
    internal static Option<string?> StageOption(string name, string description) =>
        new Option<string?>(name) { Description = description }.Each(value =>
        {
            try
            {
                LabStages.Select(value, null);
                return null;
            }
            catch (LabException e)
            {
                return $"{name}: {e.Message}";
            }
        });
}

/// <summary>The grading mode <c>lab check</c> and <c>lab class</c> share: with the faulty peers unless <c>--no-faults</c>
/// (a client that never verifies a piece or the metadata passes a grade with honest peers only).</summary>
internal sealed record LabModeOptions(Option<bool> Faults, Option<bool> NoFaults, Option<bool> Strict)
{
    public static LabModeOptions Create() => new(
        new Option<bool>("--faults") { Description = "Grade with the harder peers (the default; kept for scripts that say it): chokes mid-piece, a corrupt block or corrupt metadata every client meets, a slow peer, a rejecting peer, lost DHT queries" },
        new Option<bool>("--no-faults") { Description = "Grade with honest peers only: a client that never verifies a piece or the metadata can pass" },
        new Option<bool>("--strict") { Description = "Also enforce what the pages teach: requests only for pieces a peer announced, the v2 upgrade bit, the KRPC transaction id checked (with the faulty peers)" });

    /// <summary>The options with the grading mode; <c>--faults</c> with <c>--no-faults</c>, or <c>--strict</c> with
    /// <c>--no-faults</c> (its rules are tested by the faulty peers), is a usage error.</summary>
    public LabCheckOptions Apply(ParseResult parse, LabCheckOptions options)
    {
        var noFaults = parse.GetValue(NoFaults);
        if (noFaults && parse.GetValue(Faults)) throw new UsageException("give --faults or --no-faults, not both (the faulty peers are the default)");
        var strict = parse.GetValue(Strict);
        if (noFaults && strict) throw new UsageException("--strict grades with the faulty peers (they are what tests its rules): leave out --no-faults");
        return options with { Faults = !noFaults, Strict = strict };
    }
}

/// <summary>The sandbox options <c>lab check</c> and <c>lab class</c> share: by default each run of a student's program
/// is confined when this machine can (<see cref="StudentSandbox"/>) and the report says plainly when it cannot;
/// <c>--sandbox</c> refuses to run unconfined, <c>--no-sandbox</c> runs unconfined on purpose.</summary>
internal sealed record LabSandboxOptions(Option<bool> Require, Option<bool> Off)
{
    public static LabSandboxOptions Create() => new(
        new Option<bool>("--sandbox") { Description = "Require the sandbox (bubblewrap on Linux): fail rather than run the program unconfined" },
        new Option<bool>("--no-sandbox") { Description = "Run the program unconfined, as you, with your files and network (the report says so)" });

    /// <summary>The options with the sandbox chosen; both flags, or <c>--sandbox</c> where none is available, is an error.</summary>
    public LabCheckOptions Apply(ParseResult parse, LabCheckOptions options)
    {
        var require = parse.GetValue(Require);
        if (require && parse.GetValue(Off)) throw new UsageException("give --sandbox or --no-sandbox, not both");
        if (parse.GetValue(Off)) return options with { NoSandboxReason = "--no-sandbox" };
        var sandbox = StudentSandbox.Find(out var why);
        if (sandbox is null && require) throw new UsageException($"--sandbox: {why}");
        return options with { Sandbox = sandbox, NoSandboxReason = sandbox is null ? $"{why}; --sandbox would refuse to run" : null };
    }

    /// <summary>With a sandbox, runs this very command again in a network namespace of its own with loopback only (where
    /// the checker's peers and the student's runs meet) and returns its exit code; null when already there or unconfined.</summary>
    public static async Task<int?> RunIsolatedAsync(LabCheckOptions options, CancellationToken ct)
    {
        if (options.Sandbox is null || StudentSandbox.CheckerIsolated) return null;
        var self = Environment.ProcessPath ?? throw new UsageException("--sandbox: cannot find this program's own path to start it isolated");
        var args = Environment.GetCommandLineArgs();
        // Through 'dotnet TorrentLab.Cli.dll', the first argument is the .dll; through the apphost, it is the apphost itself.
        IEnumerable<string> again = Path.GetFileNameWithoutExtension(self) == "dotnet" ? args : args.Skip(1);
        var info = new System.Diagnostics.ProcessStartInfo("bwrap") { UseShellExecute = false };
        // The scratch folders of every run live on a tmpfs of this namespace's own, capped in size (not the host's disk);
        // the folder it is mounted on is made here, empty, and removed when the check ends.
        var scratch = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"torrentlab-scratch-{Guid.NewGuid():N}")).FullName;
        foreach (var a in (string[])["--dev-bind", "/", "/", "--size", StudentSandbox.ScratchBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--tmpfs", scratch, "--unshare-net", "--die-with-parent", "--setenv", StudentSandbox.IsolatedVariable, "1",
                     "--setenv", StudentSandbox.ScratchVariable, scratch, "--", self]) info.ArgumentList.Add(a);
        foreach (var a in again) info.ArgumentList.Add(a);
        try
        {
            using var child = System.Diagnostics.Process.Start(info) ?? throw new UsageException("--sandbox: could not start bubblewrap");
            try
            {
                await child.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                throw;
            }
            return child.ExitCode;
        }
        finally
        {
            try { Directory.Delete(scratch); }
            catch (IOException) { /* still a mount point of a namespace being torn down: an empty folder left behind */ }
        }
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
        }.AtLeast(1, 1000),
        new Option<double?>("--time-limit") { Description = "Every stage's time limit in seconds instead of its own (before the start-up allowance and --slow)" }.AtLeast(0.001, 3600));

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
